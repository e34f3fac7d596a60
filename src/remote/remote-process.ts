/**
 * A process running in a remote session. Output arrives with per-process
 * sequence numbers: duplicates (after a resume) are dropped, and the client
 * acknowledges what it has so the server can forget it and keep the process
 * flowing.
 */
import type { ProcessHandle, ProcessSignal, TerminalSize } from '../engine/container-engine.js';
import { OutputSubject } from '../engine/observable.js';
import { waitForExit, type WaitOptions } from '../engine/wait.js';
import type { ServerMessage } from '../protocol/envelope.js';
import type { Client } from '../protocol/ops.js';

/** Acknowledge after this many characters, or this many ms, whichever comes first. */
const ACK_EVERY_CHARS = 64 * 1024;
const ACK_AFTER_MS = 25;

/** What a RemoteProcess needs from its engine. */
export interface ProcessChannel {
  /** The session's requests. */
  rpc: Pick<Client, 'stdin' | 'closeInput' | 'resize' | 'kill'>;
  ack(pid: number, seq: number): void;
}

export class RemoteProcess implements ProcessHandle {
  readonly pid: number;
  readonly stream = new OutputSubject<string>();
  readonly stdout = new OutputSubject<string>();
  readonly stderr = new OutputSubject<string>();
  readonly exit: Promise<number>;
  readonly #channel: ProcessChannel;
  #resolveExit!: (code: number) => void;
  #lastSeq = 0;
  #unacked = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #exited = false;

  constructor(pid: number, channel: ProcessChannel) {
    this.pid = pid;
    this.#channel = channel;
    this.exit = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  /** The last sequence number received (what a resume asks the server to continue after). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Takes an `out` or `exit` message for this process. */
  receive(message: Extract<ServerMessage, { t: 'out' | 'exit' }>): void {
    if (message.seq <= this.#lastSeq) return; // already delivered before a reconnect
    this.#lastSeq = message.seq;
    if (message.t === 'exit') {
      this.#exited = true;
      this.#flushAck();
      for (const subject of [this.stream, this.stdout, this.stderr]) subject.complete();
      this.#resolveExit(message.code);
      return;
    }
    this.stream.next(message.d);
    (message.fd === 2 ? this.stderr : this.stdout).next(message.d);
    this.#unacked += message.d.length;
    if (this.#unacked >= ACK_EVERY_CHARS) this.#flushAck();
    else this.#ackTimer ??= setTimeout(() => this.#flushAck(), ACK_AFTER_MS);
  }

  /**
   * Ends the process locally when the session is gone for good (exit 137, as if
   * killed). When it ended unexpectedly, the reason comes last in its output so
   * the reader knows why.
   */
  abandon(reason?: Error): void {
    if (this.#exited) return;
    if (reason) this.receive({ t: 'out', pid: this.pid, seq: this.#lastSeq + 1, fd: 2, d: `\n[code-sandbox] ${reason.message}\n` });
    this.receive({ t: 'exit', pid: this.pid, seq: this.#lastSeq + 1, code: 137 });
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.#exited) return Promise.resolve();
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    return this.#call(() => this.#channel.rpc.stdin({ pid: this.pid }, { payload: bytes }));
  }

  closeInput(): Promise<void> {
    return this.#call(() => this.#channel.rpc.closeInput({ pid: this.pid }));
  }

  resize(size: TerminalSize): Promise<void> {
    return this.#call(() => this.#channel.rpc.resize({ pid: this.pid, cols: size.cols, rows: size.rows }));
  }

  kill(signal: ProcessSignal = 'SIGTERM'): Promise<void> {
    return this.#call(() => this.#channel.rpc.kill({ pid: this.pid, signal }));
  }

  wait(options?: WaitOptions): Promise<number> {
    return waitForExit(this.exit, options);
  }

  /** Sends a request about this process; after it exited, the request is moot and succeeds. */
  async #call(request: () => Promise<void>): Promise<void> {
    if (this.#exited) return;
    try {
      await request();
    } catch (error) {
      if (!this.#exited) throw error;
    }
  }

  #flushAck(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#unacked = 0;
    this.#channel.ack(this.pid, this.#lastSeq);
  }
}
