/** Errors across the wire: a SandboxError keeps its class, message and fields; anything else is hidden. */
import {
  AbortError,
  BootTimeoutError,
  DevServerError,
  EngineStateError,
  EngineUnavailableError,
  FileNotFoundError,
  InvalidPathError,
  LimitExceededError,
  ProcessError,
  ProtocolError,
  SandboxError,
  TimeoutError,
  type SandboxErrorCode,
  type SandboxErrorFields,
} from '../engine/errors.js';
import type { WireError } from './envelope.js';

/** Rebuilds each class from a finished message and the fields the wire carried. */
const REBUILD: Record<SandboxErrorCode, (message: string, fields: SandboxErrorFields) => SandboxError> = {
  ENGINE_UNAVAILABLE: (message) => new EngineUnavailableError(message),
  ENGINE_STATE: (message) => new EngineStateError(message),
  BOOT_TIMEOUT: (message) => new BootTimeoutError(message),
  TIMEOUT: (message) => new TimeoutError(message),
  ABORTED: (message) => new AbortError(message),
  FILE_NOT_FOUND: (message, fields) => new FileNotFoundError(message, { path: fields.path ?? '' }),
  INVALID_PATH: (message, fields) => new InvalidPathError(message, { path: fields.path ?? '' }),
  LIMIT_EXCEEDED: (message, fields) => new LimitExceededError(message, { retryAfter: fields.retryAfter }),
  PROCESS_FAILED: (message) => new ProcessError(message),
  DEV_SERVER_FAILED: (message, fields) => new DevServerError(message, { logs: fields.logs ?? '' }),
  PROTOCOL_ERROR: (message) => new ProtocolError(message),
  INTERNAL: (message) => new SandboxError('INTERNAL', message),
};

/**
 * What the peer may see of an error: a SandboxError whole (code, message,
 * fields). Internal errors become a generic message (their details stay in the
 * server's log, under `reference`).
 */
export function toWireError(error: unknown, reference?: string): WireError {
  if (error instanceof SandboxError) {
    const fields = error.fields;
    return { code: error.code, message: error.message, ...(Object.keys(fields).length > 0 && { fields }) };
  }
  return { code: 'INTERNAL', message: `Internal error in the sandbox server${reference ? ` (reference ${reference})` : ''}. Try again; if it persists, tell the server's operator.` };
}

/** Rebuilds the error the server threw as an instance of the same class, with its fields (so `instanceof` and `error.path` work on the client). */
export function fromWireError(wire: WireError): SandboxError {
  const code = Object.hasOwn(REBUILD, wire.code) ? (wire.code as SandboxErrorCode) : 'INTERNAL';
  return REBUILD[code](wire.message, wire.fields ?? {});
}
