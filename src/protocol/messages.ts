/**
 * The wire protocol between RemoteContainerEngine (browser or Node) and the
 * orchestrator, over one WebSocket per session. Versioned; every message is
 * checked on receipt against its schema (requests and their results: ops.ts;
 * the messages around them: envelope.ts); text frames carry JSON, binary frames
 * carry JSON plus raw bytes (codec.ts; file contents travel without base64).
 * This module holds only constants, so importing them loads no schema library.
 */

/** Bumped on any incompatible change; both sides refuse a peer of another version. */
export const PROTOCOL_VERSION = 1;

/** WebSocket close codes with a meaning of their own (4000-4999 are the application's). */
export const CLOSE = {
  /** Another connection took over this session. */
  replaced: 4000,
  /** The session ended (torn down, idle, or past its lifetime). */
  sessionEnded: 4001,
  /** The peer speaks another protocol version. */
  versionMismatch: 4002,
  /** The token is missing, malformed, expired, or for another session. */
  unauthorized: 4003,
  /** The server is shutting down. */
  shuttingDown: 1001,
  /** A frame exceeded the size limit. */
  tooBig: 1009,
} as const;

/** Close codes after which reconnecting cannot help. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE.replaced, CLOSE.sessionEnded, CLOSE.versionMismatch, CLOSE.unauthorized]);
