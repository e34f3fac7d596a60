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
      const stats = { passes: 0, failures: 0, pending: 0 };
      for (const session of sessions) {
        count(session.testResults, stats);
        // A file that failed to load, or a hook that threw, fails the run too.
        if (!session.passed && (session.errors?.length || !session.testResults)) stats.failures++;
      }
      if (process.env.CS_TEST_STATS) writeFileSync(process.env.CS_TEST_STATS, JSON.stringify(stats));
    },
  };
}
