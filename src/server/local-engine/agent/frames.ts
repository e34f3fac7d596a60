/**
 * The agent's frame codec (docs: the agent protocol, "Frames"): `u32 BE length`
 * of what follows, `u8 kind`, payload. Both directions use it. Decoding
 * validates every frame and throws `ProtocolError` on anything the protocol
 * does not allow, so a sandbox that writes garbage ends its own connection and
 * never the server.
 */
import { ProtocolError } from '../../../engine/errors.js';

/** A JSON object sent or received. */
export type Json = Record<string, unknown>;

/** One decoded frame. */
export type Frame =
  | { kind: 'message'; message: Json }
  | { kind: 'data'; channel: number; stream: number; bytes: Buffer }
  | { kind: 'body'; message: Json; body: Buffer };

const KIND = { message: 1, data: 2, body: 3 } as const;
/** Largest length of a message or data frame (1 MiB + 16). */
export const MAX_SMALL_FRAME = 1024 * 1024 + 16;
/** Largest length of a message-with-body frame (64 MiB + 64 KiB). */
export const MAX_BODY_FRAME = 64 * 1024 * 1024 + 64 * 1024;
/** Largest body a frame can carry alongside its JSON. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function encodeMessage(message: Json): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  if (json.length + 1 > MAX_SMALL_FRAME) throw new ProtocolError(`A message of ${json.length} bytes is over the agent protocol's limit.`);
  return Buffer.concat([header(json.length + 1, KIND.message), json]);
}

export function encodeData(channel: number, stream: number, bytes: Uint8Array): Buffer {
  if (bytes.length + 6 > MAX_SMALL_FRAME) throw new ProtocolError(`A data frame of ${bytes.length} bytes is over the agent protocol's limit.`);
  const head = Buffer.alloc(10);
  head.writeUInt32BE(bytes.length + 6, 0);
  head.writeUInt8(KIND.data, 4);
  head.writeUInt32BE(channel, 5);
  head.writeUInt8(stream, 9);
  return Buffer.concat([head, bytes]);
}

export function encodeBody(message: Json, body: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const length = 1 + 4 + json.length + body.length;
  if (length > MAX_BODY_FRAME) throw new ProtocolError(`A body of ${body.length} bytes is over the agent protocol's 64 MiB limit.`);
  const jsonLength = Buffer.alloc(4);
  jsonLength.writeUInt32BE(json.length, 0);
  return Buffer.concat([header(length, KIND.body), jsonLength, json, body]);
}

function header(length: number, kind: number): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(length, 0);
  head.writeUInt8(kind, 4);
  return head;
}

/**
 * Turns a byte stream into frames. Holds at most one partial frame, whose
 * declared length is checked against the limits before it is buffered, so a
 * peer cannot make the server hold more than a frame's worth.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Feeds the next chunk; returns the frames it completed. Throws ProtocolError on malformed input. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.#buffered < 5) break;
      const head = this.#peek(5);
      const length = head.readUInt32BE(0);
      const kind = head.readUInt8(4);
      checkLength(kind, length);
      if (this.#buffered < 4 + length) break;
      const frame = this.#take(4 + length).subarray(5);
      frames.push(decodePayload(kind, frame));
    }
    return frames;
  }

  #peek(bytes: number): Buffer {
    if (this.#chunks[0]!.length < bytes) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, bytes);
  }

  #take(bytes: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const rest = all.subarray(bytes);
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
    return all.subarray(0, bytes);
  }
}

function checkLength(kind: number, length: number): void {
  if (kind !== KIND.message && kind !== KIND.data && kind !== KIND.body) throw new ProtocolError(`The agent sent a frame of unknown kind ${kind}.`);
  const max = kind === KIND.body ? MAX_BODY_FRAME : MAX_SMALL_FRAME;
  if (length > max) throw new ProtocolError(`The agent sent a frame of ${length} bytes, over the ${max}-byte limit of its kind.`);
  const min = kind === KIND.data ? 6 : kind === KIND.body ? 5 : 1;
  if (length < min) throw new ProtocolError(`The agent sent a frame of ${length} bytes, too short for its kind.`);
}

function decodePayload(kind: number, payload: Buffer): Frame {
  if (kind === KIND.message) return { kind: 'message', message: parseObject(payload) };
  if (kind === KIND.data) return { kind: 'data', channel: payload.readUInt32BE(0), stream: payload.readUInt8(4), bytes: payload.subarray(5) };
  const jsonLength = payload.readUInt32BE(0);
  if (4 + jsonLength > payload.length) throw new ProtocolError(`The agent sent a body frame whose JSON (${jsonLength} bytes) overruns the frame.`);
  return { kind: 'body', message: parseObject(payload.subarray(4, 4 + jsonLength)), body: payload.subarray(4 + jsonLength) };
}

function parseObject(bytes: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ProtocolError('The agent sent a message that is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('The agent sent a message that is not a JSON object.');
  return value as Json;
}
