/**
 * The smallest Observable that satisfies the seed's `ProcessOutput.stream` and
 * interoperates with RxJS (`from(stream)`) through `Symbol.observable`.
 */

/** Receives the values, the error or the completion of an Observable. */
export interface Observer<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** Returned by `subscribe`; `unsubscribe` stops delivery and is safe to call twice. */
export interface Subscription {
  unsubscribe(): void;
  readonly closed: boolean;
}

/** A push stream of values: process output, logs. */
export interface Observable<T> {
  subscribe(observer?: Partial<Observer<T>> | ((value: T) => void)): Subscription;
}

const observableSymbol: symbol =
  (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || Symbol.for('observable');

/** How many values a subject holds for its first subscriber at most (8 Mi one-character chunks). */
const HOLD_LIMIT = 8 * 1024 * 1024;

/**
 * A multicast stream that holds what it emits until the first subscriber arrives,
 * so output produced between `exec()` resolving and `subscribe()` is never lost.
 * Later subscribers see values from the moment they subscribe, plus the ending.
 * What is held is bounded (by total length for strings, by count otherwise): past
 * the bound the oldest values go, so a stream nobody reads cannot grow forever.
 */
export class OutputSubject<T> implements Observable<T> {
  #observers = new Set<Partial<Observer<T>>>();
  #pending: T[] | undefined = [];
  #held = 0;
  #ended: { error?: unknown } | undefined;

  /** Emits a value to every subscriber (or holds it until the first one). */
  next(value: T): void {
    if (this.#ended) return;
    if (this.#pending) {
      this.#pending.push(value);
      this.#held += sizeOf(value);
      while (this.#held > HOLD_LIMIT && this.#pending.length > 1) this.#held -= sizeOf(this.#pending.shift()!);
      return;
    }
    for (const observer of [...this.#observers]) observer.next?.(value);
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
    return this.#ended !== undefined;
  }

  subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void)): Subscription {
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' ? { next: observerOrNext } : { ...observerOrNext };
    const observers = this.#observers;
    let closed = false;
    const subscription: Subscription = {
      unsubscribe: () => {
        closed = true;
        observers.delete(observer);
      },
      get closed() {
        return closed;
      },
    };
    const pending = this.#pending;
    this.#pending = undefined;
    for (const value of pending ?? []) observer.next?.(value);
    if (this.#ended) {
      deliverEnd(observer, this.#ended);
      closed = true;
    } else {
      observers.add(observer);
    }
    return subscription;
  }

  [observableSymbol](): this {
    return this;
  }

  #end(ending: { error?: unknown }): void {
    if (this.#ended) return;
    this.#ended = ending;
    if (this.#pending) return; // the first subscriber gets the values and then the ending
    const observers = [...this.#observers];
    this.#observers.clear();
    for (const observer of observers) deliverEnd(observer, ending);
  }
}

function sizeOf(value: unknown): number {
  return typeof value === 'string' ? value.length : 1;
}

function deliverEnd<T>(observer: Partial<Observer<T>>, ending: { error?: unknown }): void {
  if ('error' in ending) observer.error?.(ending.error);
  else observer.complete?.();
}

/** Collects a stream's values into one string once it completes (for tests and small outputs). */
export function collectText(stream: Observable<string>, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const subscription = stream.subscribe({
      next: (chunk) => (text += chunk),
      error: reject,
      complete: () => resolve(text),
    });
    signal?.addEventListener('abort', () => {
      subscription.unsubscribe();
      reject(signal.reason);
    }, { once: true });
  });
}
