/**
 * Which TCP ports listen in a sandbox, as every engine reports them: a hot
 * stream of changes plus the set open now (what a late subscriber reads first).
 */
import { Observable, Subject } from 'rxjs';

/** A TCP port that began (`open`) or stopped (`closed`) listening in the sandbox, on any address. */
export interface PortEvent {
  port: number;
  state: 'open' | 'closed';
  /** Where a browser previews the port, when the engine knows (remote: the preview origin; browser: WebContainer's URL). */
  url?: string;
}

/** Tracks the open ports and tells subscribers about each change (engines own one); an RxJS Observable. */
export class PortWatch extends Observable<PortEvent> {
  readonly #open = new Set<number>();
  readonly #changes: Subject<PortEvent>;

  constructor() {
    const changes = new Subject<PortEvent>();
    super((subscriber) => changes.subscribe(subscriber));
    this.#changes = changes;
  }

  /** The ports listening now, in the order they opened. */
  get open(): number[] {
    return [...this.#open];
  }

  /** Records a change; repeats (open twice) are dropped. */
  report(event: PortEvent): void {
    if ((event.state === 'open') === this.#open.has(event.port)) return;
    if (event.state === 'open') this.#open.add(event.port);
    else this.#open.delete(event.port);
    this.#changes.next({ ...event });
  }

  /** Every open port closes (the sandbox went away). */
  clear(): void {
    for (const port of this.open) this.report({ port, state: 'closed' });
  }
}
