/**
 * Frames: a text frame is one JSON message; a binary frame is a 4-byte
 * big-endian header length, the JSON message, then raw payload bytes.
 */
import { ProtocolError } from '../engine/errors.js';

/** A decoded frame: the parsed (not yet validated) message, and its bytes if any. */
export interface Frame {
  message: unknown;
  payload?: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a message, as text without a payload and as binary with one. */
export function encodeFrame(message: object, payload?: Uint8Array): string | Uint8Array {
  const json = JSON.stringify(message);
  if (!payload) return json;
  const header = encoder.encode(json);
  const frame = new Uint8Array(4 + header.byteLength + payload.byteLength);
  new DataView(frame.buffer).setUint32(0, header.byteLength);
  frame.set(header, 4);
  frame.set(payload, 4 + header.byteLength);
  return frame;
}

/** Decodes a frame as it came off the socket; throws ProtocolError for anything malformed. */
export function decodeFrame(data: string | ArrayBuffer | ArrayBufferView): Frame {
  if (typeof data === 'string') return { message: parseJson(data) };
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < 4) throw new ProtocolError('A binary frame is shorter than its 4-byte header length.');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  if (headerLength > bytes.byteLength - 4) throw new ProtocolError('A binary frame declares a header longer than the frame.');
  let header: string;
  try {
    header = decoder.decode(bytes.subarray(4, 4 + headerLength));
  } catch {
    throw new ProtocolError('A binary frame\'s header is not valid UTF-8.');
  }
  return { message: parseJson(header), payload: bytes.subarray(4 + headerLength) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(`A frame is not valid JSON (${(error as Error).message}).`);
  }
}
