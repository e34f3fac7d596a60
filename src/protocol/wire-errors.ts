/** Errors across the wire: a SandboxError keeps its class and message; anything else is hidden. */
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
} from '../engine/errors.js';
import type { WireError } from './messages.js';

const CLASSES: Record<SandboxErrorCode, abstract new (...args: never[]) => SandboxError> = {
  ENGINE_UNAVAILABLE: EngineUnavailableError,
  ENGINE_STATE: EngineStateError,
  BOOT_TIMEOUT: BootTimeoutError,
  TIMEOUT: TimeoutError,
  ABORTED: AbortError,
  FILE_NOT_FOUND: FileNotFoundError,
  INVALID_PATH: InvalidPathError,
  LIMIT_EXCEEDED: LimitExceededError,
  PROCESS_FAILED: ProcessError,
  DEV_SERVER_FAILED: DevServerError,
  PROTOCOL_ERROR: ProtocolError,
  INTERNAL: SandboxError,
};

/**
 * What the peer may see of an error. Internal errors become a generic message
 * (their details stay in the server's log, under `reference`).
 */
export function toWireError(error: unknown, reference?: string): WireError {
  if (error instanceof SandboxError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: `Internal error in the sandbox server${reference ? ` (reference ${reference})` : ''}. Try again; if it persists, tell the server's operator.` };
}

/** Rebuilds the error the server threw as an instance of the same class (so `instanceof` works on the client). */
export function fromWireError(wire: WireError): SandboxError {
  const known = Object.hasOwn(CLASSES, wire.code);
  const code: SandboxErrorCode = known ? wire.code : 'INTERNAL';
  // The subclasses build their own messages from their arguments; the wire carries the
  // finished message, so the instance is made as the base class and given the subclass's prototype.
  const error = new SandboxError(code, wire.message);
  const cls = CLASSES[code];
  Object.setPrototypeOf(error, cls.prototype);
  error.name = cls.name;
  return error;
}
