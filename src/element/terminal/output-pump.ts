/**
 * Flow control between a process and xterm.js. xterm parses writes in time
 * slices and calls back when a write is done; the pump keeps at most one write in
 * flight (a batch of up to `batchSize` characters), queues the rest, and when a
 * flood outgrows `maxBacklog` it drops the oldest queued output and says so,
 * so the page stays responsive and memory stays bounded. DOM-free.
 */

/** Writes `data` and calls `done` once it is processed (xterm's `write(data, callback)`). */
export type OutputSink = (data: string, done: () => void) => void;

/** Limits of an `OutputPump`, in UTF-16 characters. */
export interface OutputPumpOptions {
  /** Most characters handed to the sink in one write (default 64 Ki). */
  batchSize?: number;
  /** Most characters queued before the oldest are dropped (default 4 Mi). */
  maxBacklog?: number;
}

/** Queues output until a sink is attached, then feeds it one batch at a time. */
export class OutputPump {
  readonly #batchSize: number;
  readonly #maxBacklog: number;
  #queue: string[] = [];
  #queued = 0;
  #dropped = 0;
  #sink: OutputSink | undefined;
  #inFlight = false;
  #generation = 0;

  constructor(options: OutputPumpOptions = {}) {
    this.#batchSize = options.batchSize ?? 64 * 1024;
    this.#maxBacklog = options.maxBacklog ?? 4 * 1024 * 1024;
  }

  /** Characters waiting for the sink. */
  get backlog(): number {
    return this.#queued;
  }

  /** Characters dropped since the last notice was written. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues output and writes it as soon as the sink is free. */
  push(data: string): void {
    if (!data) return;
    this.#queue.push(data);
    this.#queued += data.length;
    while (this.#queued > this.#maxBacklog && this.#queue.length > 1) {
      const oldest = this.#queue.shift()!;
      this.#queued -= oldest.length;
      this.#dropped += oldest.length;
    }
    this.#pump();
  }

  /** Starts feeding `sink` (a new terminal); output queued meanwhile goes first. */
  attach(sink: OutputSink): void {
    this.#sink = sink;
    this.#inFlight = false;
    this.#generation++;
    this.#pump();
  }

  /** Stops feeding the sink (its terminal is gone); output queues again. */
  detach(): void {
    this.#sink = undefined;
    this.#inFlight = false;
    this.#generation++;
  }

  /** Forgets queued output (the terminal was cleared). */
  clear(): void {
    this.#queue = [];
    this.#queued = 0;
    this.#dropped = 0;
  }

  #pump(): void {
    const sink = this.#sink;
    if (!sink || this.#inFlight || this.#queue.length === 0) return;
    let batch = '';
    if (this.#dropped > 0) {
      batch = `\r\n\x1b[2m[code-sandbox: ${this.#dropped} characters of output skipped to keep the page responsive]\x1b[0m\r\n`;
      this.#dropped = 0;
    }
    while (this.#queue.length > 0 && batch.length < this.#batchSize) {
      const room = this.#batchSize - batch.length;
      const head = this.#queue[0]!;
      if (head.length <= room) {
        batch += this.#queue.shift()!;
        this.#queued -= head.length;
      } else {
        batch += head.slice(0, room);
        this.#queue[0] = head.slice(room);
        this.#queued -= room;
      }
    }
    this.#inFlight = true;
    const generation = this.#generation;
    sink(batch, () => {
      if (generation !== this.#generation) return; // a write to a terminal that was detached
      this.#inFlight = false;
      this.#pump();
    });
  }
}
