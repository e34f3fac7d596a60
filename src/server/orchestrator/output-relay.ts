/**
 * Relays one process's output to the session's client with sequence numbers,
 * keeping every chunk until the client acknowledges it: a client that
 * reconnects gets exactly what it missed. The session-wide FlowGate pauses
 * the processes when too much is unacknowledged, so a client that does not
 * read never makes the server's memory grow without bound.
 */
import type { Observable } from '../../engine/observable.js';
import type { ServerMessage } from '../../protocol/envelope.js';

/** Something whose output can be paused (a LocalProcess). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** Session-wide accounting of unacknowledged output bytes, with hysteresis. */
export class FlowGate {
  readonly #limit: number;
  readonly #members = new Set<Pausable>();
  #bytes = 0;
  #paused = false;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Bytes sent and not yet acknowledged. */
  get bytes(): number {
    return this.#bytes;
  }

  join(member: Pausable): void {
    this.#members.add(member);
    if (this.#paused) member.pause();
  }

  leave(member: Pausable): void {
    this.#members.delete(member);
  }

  add(bytes: number): void {
    this.#bytes += bytes;
    if (!this.#paused && this.#bytes >= this.#limit) {
      this.#paused = true;
      for (const member of this.#members) member.pause();
    }
  }

  release(bytes: number): void {
    this.#bytes -= bytes;
    if (this.#paused && this.#bytes <= this.#limit / 2) {
      this.#paused = false;
      for (const member of this.#members) member.resume();
    }
  }
}

interface Chunk {
  seq: number;
  fd: 1 | 2;
  d: string;
}

export class OutputRelay {
  readonly pid: number;
  readonly #gate: FlowGate;
  readonly #send: (message: ServerMessage) => void;
  readonly #process: Pausable;
  readonly #chunks: Chunk[] = [];
  #seq = 0;
  #exit: { seq: number; code: number } | undefined;
  #acked = 0;

  /**
   * `outputs` are the process's streams with their file descriptor numbers;
   * `send` delivers to the client if one is connected (and drops otherwise).
   */
  constructor(pid: number, process: Pausable, outputs: Array<[1 | 2, Observable<string>]>, exit: Promise<number>, gate: FlowGate, send: (message: ServerMessage) => void) {
    this.pid = pid;
    this.#process = process;
    this.#gate = gate;
    this.#send = send;
    gate.join(process);
    for (const [fd, stream] of outputs) stream.subscribe((d) => this.#emit(fd, d));
    void exit.then((code) => {
      this.#exit = { seq: ++this.#seq, code };
      gate.leave(process);
      this.#send({ t: 'exit', pid, seq: this.#exit.seq, code });
    });
  }

  /** True once the process exited and the client acknowledged everything, exit included. */
  get finished(): boolean {
    return this.#exit !== undefined && this.#acked >= this.#exit.seq;
  }

  /** The client has everything up to `seq`: forget it. */
  ack(seq: number): void {
    if (seq <= this.#acked) return;
    this.#acked = Math.min(seq, this.#seq);
    let released = 0;
    while (this.#chunks.length && this.#chunks[0]!.seq <= this.#acked) released += this.#chunks.shift()!.d.length;
    if (released) this.#gate.release(released);
  }

  /** Sends again everything after `seq` (a reconnecting client's last one). */
  replay(seq: number): void {
    this.ack(seq);
    for (const chunk of this.#chunks) this.#send({ t: 'out', pid: this.pid, ...chunk });
    if (this.#exit && this.#exit.seq > seq) this.#send({ t: 'exit', pid: this.pid, ...this.#exit });
  }

  /** Drops what is held (the session is ending). */
  dispose(): void {
    this.#gate.release(this.#chunks.reduce((sum, chunk) => sum + chunk.d.length, 0));
    this.#chunks.length = 0;
    this.#gate.leave(this.#process);
  }

  #emit(fd: 1 | 2, d: string): void {
    const chunk = { seq: ++this.#seq, fd, d };
    this.#chunks.push(chunk);
    this.#gate.add(d.length);
    this.#send({ t: 'out', pid: this.pid, ...chunk });
  }
}
