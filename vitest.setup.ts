/**
 * Runs before every test file. Many of pathgrad's tests are long synchronous numeric
 * loops; vitest awaits them with microtasks only, so a file of such tests can keep the
 * worker's event loop busy past the 60 s timeout of its RPC with the main process
 * ("Timeout calling onTaskUpdate"). Yielding one macrotask after each test lets those
 * replies through; no test's result depends on it.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
