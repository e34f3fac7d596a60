/** File trees on the wire: text inline in the JSON, bytes gathered into the frame's payload. */
import { ProtocolError } from '../engine/errors.js';
import type { TreeEntry } from '../engine/file-system-tree.js';
import type { Params } from './ops.js';

/** A file tree entry on the wire: text inline, bytes as a slice of the frame's payload. */
type WireEntry = Params<'mount'>['entries'][number];

/** Turns tree entries into wire entries plus one payload holding every binary file. */
export function entriesToWire(entries: TreeEntry[]): { entries: WireEntry[]; payload?: Uint8Array } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const wire = entries.map((entry): WireEntry => {
    if (entry.kind !== 'file') return entry;
    if (typeof entry.contents === 'string') return { kind: 'file', path: entry.path, text: entry.contents };
    parts.push(entry.contents);
    const bytes: [number, number] = [offset, entry.contents.byteLength];
    offset += entry.contents.byteLength;
    return { kind: 'file', path: entry.path, bytes };
  });
  if (parts.length === 0) return { entries: wire };
  const payload = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    payload.set(part, at);
    at += part.byteLength;
  }
  return { entries: wire, payload };
}

/** Turns wire entries and their payload back into tree entries; throws ProtocolError for slices outside it. */
export function entriesFromWire(entries: WireEntry[], payload: Uint8Array | undefined): TreeEntry[] {
  return entries.map((entry): TreeEntry => {
    if (entry.kind !== 'file') return entry;
    if (entry.text !== undefined) return { kind: 'file', path: entry.path, contents: entry.text };
    const [offset, length] = entry.bytes!; // the schema requires text or bytes
    if (!payload || offset + length > payload.byteLength) throw new ProtocolError(`Malformed message: the bytes of "${entry.path}" lie outside the frame's payload.`);
    return { kind: 'file', path: entry.path, contents: payload.subarray(offset, offset + length) };
  });
}
