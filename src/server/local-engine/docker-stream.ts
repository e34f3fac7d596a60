/**
 * Splits Docker's multiplexed attach stream (used when a process has no tty) into
 * stdout and stderr. Each frame is an 8-byte header, [stream, 0, 0, 0, size as
 * uint32 big-endian], then `size` bytes; frames may span chunk boundaries.
 */

/** Which stream a frame belongs to. */
export type StreamKind = 'stdout' | 'stderr';

export class DockerStreamDemuxer {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #onFrame: (kind: StreamKind, payload: Buffer) => void;

  constructor(onFrame: (kind: StreamKind, payload: Buffer) => void) {
    this.#onFrame = onFrame;
  }

  /** Feeds the next chunk read from the socket. */
  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    let offset = 0;
    while (this.#buffer.length - offset >= 8) {
      const size = this.#buffer.readUInt32BE(offset + 4);
      if (this.#buffer.length - offset - 8 < size) break;
      const kind: StreamKind = this.#buffer[offset] === 2 ? 'stderr' : 'stdout';
      this.#onFrame(kind, this.#buffer.subarray(offset + 8, offset + 8 + size));
      offset += 8 + size;
    }
    this.#buffer = this.#buffer.subarray(offset);
  }
}
