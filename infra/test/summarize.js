// Adds up the results of every suite of infra/test/run-all.sh and prints the closing line
// "N passed, N failed". Exit code 1 when anything failed, is missing, or (under CI) skipped.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const reports = process.argv[2];
const lines = (file) =>
  existsSync(join(reports, file)) ? readFileSync(join(reports, file), 'utf8').split('\n').filter(Boolean) : [];
const json = (file) => (existsSync(join(reports, file)) ? JSON.parse(readFileSync(join(reports, file), 'utf8')) : null);

const totals = { passed: 0, failed: 0, skipped: 0 };
const rows = [];
const add = (suite, passed, failed, skipped = 0) => {
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  rows.push({ suite, passed, failed, skipped });
};

const passedChecks = lines('passed-checks');
const failedChecks = lines('failed-checks');
add('checks (lint, format, set-up)', passedChecks.length, failedChecks.length);

const setupFailed = failedChecks.some((name) => name.startsWith('setup:'));
const jest = json('jest.json');
if (jest) {
  // A suite that crashed before running its tests counts as one failure.
  add(
    'jest',
    jest.numPassedTests,
    jest.numFailedTests + jest.numRuntimeErrorTestSuites,
    jest.numPendingTests + jest.numTodoTests,
  );
} else if (!setupFailed) {
  add('jest (no report: the run crashed)', 0, 1);
}
const playwright = json('playwright.json');
if (playwright) {
  const s = playwright.stats;
  add('playwright', s.expected + s.flaky, s.unexpected + (playwright.errors?.length ?? 0), s.skipped);
} else if (!setupFailed) {
  add('playwright (no report: the run crashed)', 0, 1);
}

console.table(rows);
if (failedChecks.length) console.log(`failed checks: ${failedChecks.join(', ')}`);
if (process.env.CI === 'true' && totals.skipped > 0) {
  console.log(`${totals.skipped} test(s) skipped: under CI=true nothing may skip, so they count as failed`);
  totals.failed += totals.skipped;
  totals.skipped = 0;
}
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);
