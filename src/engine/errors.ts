/**
 * The errors every engine throws. Each has a stable `code` (it travels over the
 * wire unchanged) and a message that says how to fix the problem.
 */

/** Every error code an engine or the protocol can report. */
export type SandboxErrorCode =
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_STATE'
  | 'BOOT_TIMEOUT'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'FILE_NOT_FOUND'
  | 'INVALID_PATH'
  | 'LIMIT_EXCEEDED'
  | 'PROCESS_FAILED'
  | 'DEV_SERVER_FAILED'
  | 'PROTOCOL_ERROR'
  | 'INTERNAL';

/**
 * The structured facts an error carries besides its code and message. They
 * travel over the wire with it, so a client's error has the same fields as the
 * server's.
 */
export interface SandboxErrorFields {
  /** The path the failed call was given (FileNotFoundError, InvalidPathError). */
  path?: string;
  /** The last output of the program that failed (DevServerError). */
  logs?: string;
  /** Seconds to wait before trying again, when the server said so (LimitExceededError). */
  retryAfter?: number;
}

/**
 * Base class of every error code-sandbox throws on purpose. Every class takes a
 * finished message (what the reader sees) plus its structured fields.
 */
export class SandboxError extends Error {
  /** Machine-readable kind of failure, stable across versions and the wire. */
  readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The error's structured fields (none on the base class); what the wire carries beside code and message. */
  get fields(): SandboxErrorFields {
    return {};
  }
}

/** The engine cannot run here: no Docker daemon, no WebContainer support, no server. */
export class EngineUnavailableError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENGINE_UNAVAILABLE', message, options);
  }
}

/** The call does not fit the engine's state (not booted yet, or torn down). */
export class EngineStateError extends SandboxError {
  constructor(message: string) {
    super('ENGINE_STATE', message);
  }
}

/** A wait ran past its deadline. */
export class TimeoutError extends SandboxError {
  constructor(message: string, code: 'TIMEOUT' | 'BOOT_TIMEOUT' = 'TIMEOUT') {
    super(code, message);
  }
}

/** Booting the engine ran past its deadline (a WebContainer service that never answers, a slow daemon). */
export class BootTimeoutError extends TimeoutError {
  constructor(message: string) {
    super(message, 'BOOT_TIMEOUT');
  }
}

/** The caller aborted the operation through its `AbortSignal`. */
export class AbortError extends SandboxError {
  constructor(message = 'The operation was aborted by the caller.') {
    super('ABORTED', message);
  }
}

/** A path names nothing in the workspace. */
export class FileNotFoundError extends SandboxError {
  /** The workspace-relative path that was asked for. */
  readonly path: string;

  constructor(message: string, fields: { path: string }) {
    super('FILE_NOT_FOUND', message);
    this.path = fields.path;
  }

  /** The error for `path`, with the usual advice. */
  static at(path: string): FileNotFoundError {
    return new FileNotFoundError(`No file "${path}" in the workspace. Check the path (it is relative to the workspace root) or write the file first.`, { path });
  }

  override get fields(): SandboxErrorFields {
    return { path: this.path };
  }
}

/** A path is malformed or escapes the workspace; nothing was read or written. */
export class InvalidPathError extends SandboxError {
  /** The path as the caller gave it. */
  readonly path: string;

  constructor(message: string, fields: { path: string }) {
    super('INVALID_PATH', message);
    this.path = fields.path;
  }

  /** The error for `path`, saying `reason` (a clause such as "it leaves the workspace") and the fix. */
  static because(path: string, reason: string): InvalidPathError {
    return new InvalidPathError(`Invalid path ${JSON.stringify(path)}: ${reason}. Use a path inside the workspace, such as "src/index.js".`, { path });
  }

  override get fields(): SandboxErrorFields {
    return { path: this.path };
  }
}

/** A configured limit (file size, sessions, memory, output buffer...) was hit. */
export class LimitExceededError extends SandboxError {
  /** Seconds to wait before trying again, when the server said so. */
  readonly retryAfter: number | undefined;

  constructor(message: string, fields: { retryAfter?: number | undefined } = {}) {
    super('LIMIT_EXCEEDED', message);
    this.retryAfter = fields.retryAfter;
  }

  override get fields(): SandboxErrorFields {
    return this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter };
  }
}

/** A process could not be started, or ended in a way its caller must hear about. */
export class ProcessError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PROCESS_FAILED', message, options);
  }
}

/** The dev server exited, or never answered HTTP, before its deadline. */
export class DevServerError extends SandboxError {
  /** The last lines the dev server printed, to show the reader ('' when it printed nothing). */
  readonly logs: string;

  constructor(message: string, fields: { logs: string }) {
    super('DEV_SERVER_FAILED', message);
    this.logs = fields.logs;
  }

  /** The error for a server that failed after printing `logs`: `reason`, then its last output. */
  static withLogs(reason: string, logs: string): DevServerError {
    return new DevServerError(logs ? `${reason}\nLast output:\n${logs}` : reason, { logs });
  }

  override get fields(): SandboxErrorFields {
    return { logs: this.logs };
  }
}

/** The peer sent something the protocol does not allow. */
export class ProtocolError extends SandboxError {
  constructor(message: string) {
    super('PROTOCOL_ERROR', message);
  }
}
