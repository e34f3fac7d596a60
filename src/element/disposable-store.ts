/** Something that releases what it holds; xterm's `IDisposable` has the same shape. */
export interface Disposable {
  dispose(): void;
}

/** Collects an owner's disposables and releases them together; disposing twice is harmless. */
export class DisposableStore implements Disposable {
  #items: Disposable[] = [];

  /** Adds a disposable (or a cleanup function) and returns it. */
  add<T extends Disposable>(item: T): T;
  add(cleanup: () => void): Disposable;
  add(item: Disposable | (() => void)): Disposable {
    const disposable = typeof item === 'function' ? { dispose: item } : item;
    this.#items.push(disposable);
    return disposable;
  }

  /** Releases everything added so far, last in first out; the store stays usable. */
  dispose(): void {
    const items = this.#items.reverse();
    this.#items = [];
    for (const item of items) {
      try {
        item.dispose();
      } catch (error) {
        console.error('code-sandbox: a cleanup step failed', error);
      }
    }
  }
}
