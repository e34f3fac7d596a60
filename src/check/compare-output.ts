/**
 * Comparing an example's output with the expected output, through the noise a
 * run adds: ANSI colours, carriage returns, trailing whitespace and blank lines
 * at the end. Volatile parts are masked on request: `[..]` in the expected
 * output matches anything within a line, and each `--mask` pattern is replaced
 * by `[..]` on both sides.
 */

/** The wildcard an author writes in an expected output. */
export const WILDCARD = '[..]';

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links): matching
// control characters is the point, hence the one exception to no-control-regex.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Output as the comparison sees it: no ANSI, `\n` line ends, no trailing whitespace or blank lines. */
export function normalizeOutput(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1).trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

/** Whether `actual` matches `expected` after normalizing both and applying `masks`. */
export function outputMatches(expected: string, actual: string, masks: readonly RegExp[] = []): boolean {
  const mask = (text: string): string => masks.reduce((masked, pattern) => masked.replace(globally(pattern), WILDCARD), normalizeOutput(text));
  const wanted = mask(expected);
  const got = mask(actual);
  if (!wanted.includes(WILDCARD)) return wanted === got;
  const pattern = wanted.split(WILDCARD).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\n]*');
  return new RegExp(`^${pattern}$`).test(got);
}

function globally(pattern: RegExp): RegExp {
  return pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
}
