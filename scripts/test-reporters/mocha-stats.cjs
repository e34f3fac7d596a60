// mocha's spec reporter that also writes its counts to $CS_TEST_STATS for scripts/test.mjs.
const { writeFileSync } = require('node:fs');
const { reporters } = require('mocha');

class SpecWithStats extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      if (process.env.CS_TEST_STATS) writeFileSync(process.env.CS_TEST_STATS, JSON.stringify(this.stats));
    });
  }
}

module.exports = SpecWithStats;
