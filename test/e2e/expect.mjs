// A few assertions with readable failures, for the e2e script (no test framework runs it).
import { AssertionError } from 'node:assert';

const show = (value) => JSON.stringify(value)?.slice(0, 400);

export function expect(actual, what) {
  const fail = (expectation) => {
    throw new AssertionError({ message: `${what}: expected ${show(actual)} ${expectation}`, actual });
  };
  return {
    toBe: (expected) => actual === expected || fail(`to be ${show(expected)}`),
    toContain: (part) => ((typeof actual === 'string' || Array.isArray(actual)) && actual.includes(part)) || fail(`to contain ${show(part)}`),
    toEqual: (expected) => JSON.stringify(actual) === JSON.stringify(expected) || fail(`to equal ${show(expected)}`),
    toBeGreaterThan: (bound) => actual > bound || fail(`to be greater than ${bound}`),
    toMatch: (pattern) => (typeof actual === 'string' && pattern.test(actual)) || fail(`to match ${pattern}`),
  };
}
