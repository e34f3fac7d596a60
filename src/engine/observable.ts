/**
 * Process output as RxJS 7 Observables: `stream.pipe(...)` works, and so does
 * every operator. `OutputSubject` adds what a process needs on top of a Subject:
 * output is held for the first subscriber, so nothing printed between `exec()`
 * resolving and `subscribe()` is lost.
 */
import { lastValueFrom, Observable, race, reduce, scan, Subject, type Subscriber } from 'rxjs';

export { Observable } from 'rxjs';
export type { Observer, Subscription } from 'rxjs';

/** How many values a subject holds for its first subscriber at most (8 Mi one-character chunks). */
const HOLD_LIMIT = 8 * 1024 * 1024;

/** What an OutputSubject holds until its first subscriber, and how it ended. */
class Hold<T> {
  readonly live = new Subject<T>();
  pending: T[] | undefined = [];
  held = 0;
  ended: { error?: unknown } | undefined;

  /** Gives a new subscriber what was held (the first one only), then the live values or the ending. */
  subscribe(subscriber: Subscriber<T>) {
    const pending = this.pending;
    this.pending = undefined;
    for (const value of pending ?? []) subscriber.next(value);
    if (!this.ended) return this.live.subscribe(subscriber);
    if ('error' in this.ended) subscriber.error(this.ended.error);
    else subscriber.complete();
    return undefined;
  }
}

/**
 * A multicast stream that holds what it emits until the first subscriber arrives,
 * so output produced between `exec()` resolving and `subscribe()` is never lost.
 * Later subscribers see values from the moment they subscribe, plus the ending.
 * What is held is bounded (by total length for strings, by count otherwise): past
 * the bound the oldest values go, so a stream nobody reads cannot grow forever.
 * An RxJS Observable: `subject.pipe(map(...))`, `firstValueFrom(subject)`.
 */
export class OutputSubject<T> extends Observable<T> {
  readonly #hold: Hold<T>;

  constructor() {
    const hold = new Hold<T>();
    super((subscriber) => hold.subscribe(subscriber));
    this.#hold = hold;
  }

  /** Emits a value to every subscriber (or holds it until the first one). */
  next(value: T): void {
    const hold = this.#hold;
    if (hold.ended) return;
    if (!hold.pending) {
      hold.live.next(value);
      return;
    }
    hold.pending.push(value);
    hold.held += sizeOf(value);
    while (hold.held > HOLD_LIMIT && hold.pending.length > 1) hold.held -= sizeOf(hold.pending.shift()!);
  }

  /** Ends the stream normally. */
  complete(): void {
    this.#end({});
  }

  /** Ends the stream with an error. */
  error(error: unknown): void {
    this.#end({ error });
  }

  /** Whether the stream has ended. */
  get ended(): boolean {
    return this.#hold.ended !== undefined;
  }

  #end(ending: { error?: unknown }): void {
    const hold = this.#hold;
    if (hold.ended) return;
    hold.ended = ending;
    if (hold.pending) return; // the first subscriber gets the values and then the ending
    if ('error' in ending) hold.live.error(ending.error);
    else hold.live.complete();
  }
}

function sizeOf(value: unknown): number {
  return typeof value === 'string' ? value.length : 1;
}

/** An Observable that fails with the signal's reason when it fires (and never emits). */
export function abortOf(signal: AbortSignal): Observable<never> {
  return new Observable<never>((subscriber) => {
    const abort = () => subscriber.error(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    return () => signal.removeEventListener('abort', abort);
  });
}

/** Collects a stream's values into one string once it completes (for tests and small outputs); the signal stops it. */
export function collectText(stream: Observable<string>, signal?: AbortSignal): Promise<string> {
  const text = stream.pipe(reduce((all, chunk) => all + chunk, ''));
  return lastValueFrom(signal ? race(text, abortOf(signal)) : text);
}

/**
 * Keeps the last `max` characters of what a stream prints (a failed program's
 * last words, for its error). Subscribes at once; `text` is what was kept so far.
 */
export function keepTail(stream: Observable<string>, max = 4096): { readonly text: string } {
  const tail = { text: '' };
  stream.pipe(scan((kept, chunk) => (kept + chunk).slice(-max), '')).subscribe((text) => (tail.text = text));
  return tail;
}
