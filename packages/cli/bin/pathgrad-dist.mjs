#!/usr/bin/env node
// The `pathgrad` command of the published package (publishConfig.bin): runs the compiled
// JavaScript in dist/, so installing @pathgrad/cli needs no TypeScript loader.
// (bin/pathgrad.mjs is the workspace's launcher, which runs src/ through tsx.)
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
