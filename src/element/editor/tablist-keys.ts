/**
 * The tablist keyboard pattern (WAI-ARIA APG, automatic activation): arrow keys
 * move to the previous or next tab, wrapping; Home and End to the first and last.
 */

/** The tab a key moves to from tab `index` of `count`, or undefined when the key does not move. */
export function nextTab(key: string, index: number, count: number): number | undefined {
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}
