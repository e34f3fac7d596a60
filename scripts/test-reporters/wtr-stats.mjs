// Writes web-test-runner's pass/fail counts to $CS_TEST_STATS for scripts/test.mjs.
import { writeFileSync } from 'node:fs';

function count(suite, stats) {
  for (const test of suite?.tests ?? []) {
    if (test.skipped) stats.pending++;
    else if (test.passed) stats.passes++;
    else stats.failures++;
  }
  for (const child of suite?.suites ?? []) count(child, stats);
  return stats;
}

export function statsReporter() {
  return {
    onTestRunFinished({ sessions }) {
      const stats = { passes: 0, failures: 0, pending: 0, importFailures: 0 };
      for (const session of sessions) {
        count(session.testResults, stats);
        // A file that failed to load, or a hook that threw, fails the run too.
        if (!session.passed && (session.errors?.length || !session.testResults)) stats.failures++;
        // The browser could not fetch the test module itself (no test ran): an infrastructure fault.
        if (session.errors?.some((error) => /Failed to fetch dynamically imported module|Could not import your test module/.test(String(error?.message ?? error)))) {
          stats.importFailures++;
        }
      }
      if (process.env.CS_TEST_STATS) writeFileSync(process.env.CS_TEST_STATS, JSON.stringify(stats));
    },
  };
}
