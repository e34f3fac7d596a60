/**
 * The wire protocol between RemoteContainerEngine (browser or Node) and the
 * orchestrator, over one WebSocket per session. Versioned; every message is
 * validated on receipt (see validate.ts); text frames carry JSON, binary frames
 * carry JSON plus raw bytes (file contents travel without base64).
 */
import type { SandboxErrorCode, SandboxErrorFields } from '../engine/errors.js';
import type { ProcessSignal } from '../engine/container-engine.js';

/** Bumped on any incompatible change; both sides refuse a peer of another version. */
export const PROTOCOL_VERSION = 1;

/** A file tree entry on the wire: text inline, bytes as a slice of the frame's payload. */
export type WireEntry =
  | { kind: 'directory'; path: string }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'file'; path: string; text: string }
  | { kind: 'file'; path: string; bytes: [offset: number, length: number] };

/** Requests, each answered by one `res` with the same id. */
export type Request =
  | { op: 'mount'; entries: WireEntry[] }
  | { op: 'writeFile'; path: string } // payload: the contents
  | { op: 'readFile'; path: string } // result payload: the contents
  | { op: 'deleteFile'; path: string }
  | { op: 'readdir'; path: string }
  | { op: 'exec'; cmd: string; args: string[]; cwd?: string; env?: Record<string, string>; terminal?: { cols: number; rows: number } }
  | { op: 'install'; command?: string }
  | { op: 'devServer'; command?: string; port?: number; env?: Record<string, string> }
  | { op: 'stdin'; pid: number } // payload: the bytes
  | { op: 'closeInput'; pid: number }
  | { op: 'resize'; pid: number; cols: number; rows: number }
  | { op: 'kill'; pid: number; signal?: ProcessSignal }
  | { op: 'token' };

export type RequestOp = Request['op'];

/** An error as it travels: the code of a SandboxError subclass, its message and its structured fields. */
export interface WireError {
  code: SandboxErrorCode;
  message: string;
  /** The error's fields (path, logs, retryAfter), when it has any. */
  fields?: SandboxErrorFields;
}

/** Client to server. */
export type ClientMessage =
  | { t: 'hello'; v: number; resume?: Record<string, number> }
  | ({ t: 'req'; id: number } & Request)
  | { t: 'ack'; pid: number; seq: number }
  | { t: 'ping'; n: number };

/** Server to client. */
export type ServerMessage =
  | { t: 'hello'; v: number; session: string }
  | { t: 'res'; id: number; ok: true; result?: unknown }
  | { t: 'res'; id: number; ok: false; error: WireError }
  | { t: 'out'; pid: number; seq: number; fd: 1 | 2; d: string }
  | { t: 'exit'; pid: number; seq: number; code: number }
  | { t: 'pong'; n: number }
  | { t: 'error'; error: WireError; id?: number }
  /** A TCP port began or stopped listening in the sandbox (also sent for each open port after hello); `url` previews it. */
  | { t: 'port'; port: number; state: 'open' | 'closed'; url: string };

/** What the results of requests look like. */
export interface ExecResult {
  pid: number;
}
export interface InstallResult {
  pid: number | null;
  command: string | null;
}
export interface DevServerResult {
  pid: number;
  port: number;
  url: string;
}
export interface TokenResult {
  token: string;
  expiresAt: number;
}

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
