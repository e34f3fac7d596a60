/**
 * Per-channel credit flow control (the agent protocol, "Flow control"): a
 * sender has at most `WINDOW` bytes of data on a channel that the receiver has
 * not acknowledged. One channel waiting for credit never holds up another.
 */
import { ProtocolError } from '../../../engine/errors.js';

/** Unacknowledged data bytes a sender may have outstanding on one channel, per direction. */
export const WINDOW = 1024 * 1024;
/** Largest data frame payload this side sends. */
export const CHUNK = 64 * 1024;

/** The sending half: how many bytes may go now, and who waits for credit. */
export class SendCredit {
  #unacked = 0;
  #waiters: Array<() => void> = [];
  #closed: Error | undefined;

  /** Bytes sent and not yet acknowledged. */
  get unacked(): number {
    return this.#unacked;
  }

  /**
   * Sends `bytes` through `send` in chunks, each once the window has room for
   * it; resolves when the last chunk is sent (not acknowledged).
   */
  async send(bytes: Uint8Array, sendChunk: (chunk: Uint8Array) => void): Promise<void> {
    for (let offset = 0; offset < bytes.length; ) {
      while (this.#unacked >= WINDOW) await this.#credit();
      const size = Math.min(CHUNK, WINDOW - this.#unacked, bytes.length - offset);
      sendChunk(bytes.subarray(offset, offset + size));
      this.#unacked += size;
      offset += size;
    }
  }

  /** The receiver consumed `bytes`: room for more. */
  ack(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > this.#unacked) {
      throw new ProtocolError(`The agent acknowledged ${bytes} bytes on a channel with ${this.#unacked} outstanding.`);
    }
    this.#unacked -= bytes;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Ends every wait (the channel or the connection closed): the senders reject with `error`. */
  close(error: Error): void {
    this.#closed = error;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #credit(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<void>((resolve) => this.#waiters.push(resolve)).then(() => {
      if (this.#closed) throw this.#closed;
    });
  }
}

/**
 * The receiving half: counts what arrived and what the consumer took, and
 * returns credit (through `sendAck`) only for consumed bytes. While paused,
 * credit is held back, so the sender stops after one window.
 */
export class ReceiveCredit {
  #unacked = 0;
  #consumed = 0;
  #paused = false;
  readonly #sendAck: (bytes: number) => void;

  constructor(sendAck: (bytes: number) => void) {
    this.#sendAck = sendAck;
  }

  /** Counts bytes that arrived; a sender past its window breaks the protocol. */
  received(bytes: number): void {
    this.#unacked += bytes;
    if (this.#unacked > WINDOW) throw new ProtocolError(`The agent sent ${this.#unacked} unacknowledged bytes on one channel, past the ${WINDOW}-byte window.`);
  }

  /** The consumer took `bytes`; acknowledged at once unless paused. */
  consumed(bytes: number): void {
    this.#consumed += bytes;
    if (!this.#paused) this.#flush();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#flush();
  }

  #flush(): void {
    if (this.#consumed === 0) return;
    const bytes = this.#consumed;
    this.#consumed = 0;
    this.#unacked -= bytes;
    this.#sendAck(bytes);
  }
}
