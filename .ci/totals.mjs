// Prints the run's totals as one line, "N passed, N failed[, N skipped]", from vitest's JSON
// reporter output (path in argv[2]; argv[3] is vitest's exit status). A test file that failed without a failed test (it did
// not load, or a hook threw) counts as one failure: vitest's numFailedTests leaves it out.
// A missing or unreadable report counts as one failure, and so does a non-zero exit with no
// failure in the report (an unhandled error outside any test).
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.vitest-results.json';
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (e) {
  console.log('0 passed, 1 failed');
  console.error(`ci: no readable vitest report at ${path} (${e.message})`);
  process.exit(0);
}
const files = report.testResults ?? [];
const brokenFiles = files.filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'));
const passed = report.numPassedTests ?? 0;
const exitStatus = Number(process.argv[3] ?? 0);
let failed = (report.numFailedTests ?? 0) + brokenFiles.length;
const unexplained = exitStatus !== 0 && failed === 0;
if (unexplained) failed = 1;
// vitest: numPendingTests = skipped (it.skip, describe.skip, skipIf), numTodoTests = it.todo
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (unexplained) console.error(`ci: vitest exited ${exitStatus} although no test failed (an unhandled error?): counted as one failure`);
for (const f of brokenFiles) console.error(`ci: test file failed without a failing test: ${f.name}${f.message ? `: ${f.message.split('\n')[0]}` : ''}`);
