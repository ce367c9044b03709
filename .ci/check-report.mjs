// Fails CI when the suite did not really run: no end-to-end test passed, or any test was
// skipped or left as todo. Prints the plain closing line "N passed, N failed".
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`no test report at ${file}: ${err.message}`);
  process.exit(1);
}
const problems = [];
let passed = 0;
let failed = 0;
let e2ePassed = 0;
const e2eFiles = new Set();
for (const suite of report.testResults ?? []) {
  const isE2e = /\/test\/e2e\//.test(suite.name);
  if (isE2e) e2eFiles.add(suite.name);
  // A suite that failed outside its tests (a hook, an import) counts as a failure even when
  // its tests show as skipped.
  if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed')) {
    problems.push(`${suite.name} failed outside its tests: ${suite.message || 'see the runner output'}`);
    failed += 1;
  }
  for (const t of suite.assertionResults ?? []) {
    if (t.status === 'passed') {
      passed += 1;
      if (isE2e) e2ePassed += 1;
    } else if (t.status === 'failed') {
      failed += 1;
    } else {
      problems.push(`not run (${t.status}): ${t.fullName}`);
      failed += 1; // a test that did not run is not a pass
    }
  }
}
if (e2eFiles.size === 0) problems.push('no end-to-end test file ran');
if (e2ePassed === 0) problems.push('no end-to-end test passed');
for (const p of problems) console.error(`check-report: ${p}`);
console.log(`end-to-end: ${e2ePassed} passed in ${e2eFiles.size} files`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(problems.length === 0 && failed === 0 ? 0 : 1);
