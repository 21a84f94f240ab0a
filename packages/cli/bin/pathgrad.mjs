#!/usr/bin/env node
// The `pathgrad` command: registers tsx's loader so the TypeScript sources run as they are
// (the workspace ships .ts entry points), then hands over to src/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
