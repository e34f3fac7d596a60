/**
 * Cancellation for every method that waits: a caller's `AbortSignal`, a timeout,
 * or both (the first to fire wins).
 */
import { AbortError, TimeoutError } from './errors.js';

/** Options every waiting method of an engine accepts. */
export interface WaitOptions {
  /** Aborts the wait; the method rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** Milliseconds before the method rejects with a `TimeoutError`. Each method documents its default. */
  timeout?: number;
}

/**
 * One signal for a wait: aborts when the caller's signal does or when `timeout`
 * milliseconds have passed. `what` names the operation in the timeout message.
 */
export function deadline(options: WaitOptions | undefined, defaultTimeout: number | undefined, what: string): AbortSignal {
  const signals: AbortSignal[] = [];
  if (options?.signal) signals.push(options.signal);
  const timeout = options?.timeout ?? defaultTimeout;
  if (timeout !== undefined && Number.isFinite(timeout)) {
    const controller = new AbortController();
    const error = new TimeoutError(`${what} did not finish within ${timeout} ms. Try again, or pass a larger \`timeout\`.`);
    const timer = setTimeout(() => controller.abort(error), timeout);
    // Never keep a Node process alive just for a deadline.
    (timer as { unref?: () => void }).unref?.();
    signals.push(controller.signal);
  }
  return anySignal(signals);
}

/** `AbortSignal.any`, with a fallback for browsers that lack it. */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  if (signals.length === 1) return signals[0]!;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

/** The error a fired signal stands for: the deadline's TimeoutError, or an AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof TimeoutError || reason instanceof AbortError ? reason : new AbortError();
}

/** Throws the signal's error if it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Settles with `promise`, or rejects with the signal's error as soon as it fires.
 * `onAbort` runs when the signal wins, to release what the promise still holds.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    onAbort?.();
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.();
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/**
 * `ProcessHandle.wait`, the same on every engine: the exit code, or a
 * TimeoutError/AbortError when the caller's deadline passes first. The process
 * itself keeps running either way.
 */
export function waitForExit(exit: Promise<number>, options: WaitOptions | undefined): Promise<number> {
  if (!options?.signal && options?.timeout === undefined) return exit;
  return raceSignal(exit, deadline(options, undefined, 'Waiting for the process to exit'));
}

/** Resolves after `ms`, or rejects when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return raceSignal(new Promise((resolve) => setTimeout(resolve, ms)), signal);
}
