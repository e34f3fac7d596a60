/** Helpers the contract suite shares; they use only web-platform APIs, so they run in Node and browsers. */
import { catchError, EmptyError, first, firstValueFrom, scan, tap, throwError, timeout as timeoutAfter, type Observable } from 'rxjs';

/** Resolves with the text seen so far once `predicate` holds for it; rejects after `timeout` ms with what was seen. */
export function waitForText(stream: Observable<string>, predicate: (text: string) => boolean, timeout = 20_000): Promise<string> {
  let seen = '';
  const shown = () => JSON.stringify(seen.slice(-500));
  return firstValueFrom(
    stream.pipe(
      scan((text, chunk) => text + chunk, ''),
      tap((text) => (seen = text)),
      first(predicate),
      timeoutAfter({ first: timeout, with: () => throwError(() => new Error(`Timed out after ${timeout} ms; output so far: ${shown()}`)) }),
      catchError((error: unknown) =>
        throwError(() => (error instanceof EmptyError ? new Error(`The stream ended without the expected output; it was: ${shown()}`) : error)),
      ),
    ),
  );
}

/** Deterministic pseudo-random bytes (a binary payload that compresses badly). */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Whether two byte arrays are equal, without chai's slow deep-equal on megabytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Polls `probe` every 200 ms until it gives a truthy value, which it resolves with; throws naming `what` after `timeout` ms. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeout = 60_000): Promise<T> {
  for (const started = Date.now(); Date.now() - started < timeout; await new Promise((resolve) => setTimeout(resolve, 200))) {
    const value = await probe();
    if (value) return value;
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Runs `fn`, expecting it to reject; returns the error. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected a rejection, but the call succeeded.');
}

/**
 * Checks a stream of numbered lines (0, 1, 2... one per line) as it arrives:
 * `count` lines seen, `bad` describes the first out of place, `carry` is an
 * unfinished last line. `onChunk` runs after each chunk (to act mid-stream).
 */
export function checkNumberedLines(stream: Observable<string>, onChunk?: (count: number) => void): { readonly count: number; readonly bad: string | undefined; readonly carry: string } {
  const state = { count: 0, bad: undefined as string | undefined, carry: '' };
  stream.subscribe((chunk) => {
    const parts = (state.carry + chunk).split('\n');
    state.carry = parts.pop()!;
    for (const part of parts) {
      if (state.bad === undefined && Number(part) !== state.count) state.bad = `line ${state.count} was ${JSON.stringify(part)}`;
      state.count++;
    }
    onChunk?.(state.count);
  });
  return state;
}
