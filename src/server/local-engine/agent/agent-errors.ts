/**
 * The agent's error codes as the project's error classes, with the caller's
 * own path (the agent's message says what was wrong with it).
 */
import {
  FileNotFoundError,
  InvalidPathError,
  LimitExceededError,
  ProcessError,
  ProtocolError,
  SandboxError,
} from '../../../engine/errors.js';

/** An error response's `error` object. */
export interface AgentErrorBody {
  code: string;
  message: string;
  path?: string;
}

/** An error the agent answered with, before it is given a caller's context. */
export class AgentRequestError extends Error {
  readonly code: string;
  readonly agentPath: string | undefined;

  constructor(body: AgentErrorBody) {
    super(body.message);
    this.code = body.code;
    this.agentPath = body.path;
  }
}

/** The agent's reason, without the path it repeats, in the project's words ("outside the workspace"). */
function invalidPathReason(message: string): string {
  const reason = message
    .replace(/^"(?:[^"\\]|\\.)*":\s*/, '')
    .replace(/^"(?:[^"\\]|\\.)*"\s+(?=is |leads |contains |goes )/, 'it ')
    .replace(/(outside|out of) \/workspace/g, 'outside the workspace')
    .replace(/\.$/, '');
  // A symlink the agent would not follow without saying where it leads: say why it matters.
  return /symlink/.test(reason) && !/outside/.test(reason) ? `${reason}; symlinks are not followed where they could lead outside the workspace` : reason;
}

/** `Error` with Node's `code`, as `net.connect` fails: the preview proxy answers 502 for it. */
export class ConnectRefusedError extends Error {
  readonly code = 'ECONNREFUSED';
}

/**
 * The project's error for an agent error; `path` is the path as the caller gave
 * it, `what` the operation (for messages that name it).
 */
export function sandboxError(error: unknown, path?: string, what = 'The sandbox operation'): Error {
  if (!(error instanceof AgentRequestError)) return error instanceof Error ? error : new ProtocolError(String(error));
  const where = path ?? error.agentPath ?? '';
  switch (error.code) {
    case 'FILE_NOT_FOUND':
      return FileNotFoundError.at(where);
    case 'INVALID_PATH':
      // A symlink loop names nothing, as for every other engine (and the shell): not found.
      if (/too many levels of symlinks/.test(error.message)) return FileNotFoundError.at(where);
      return InvalidPathError.because(where, invalidPathReason(error.message));
    case 'LIMIT_EXCEEDED':
      return new LimitExceededError(error.message);
    case 'SPAWN_FAILED':
      return new ProcessError(`${error.message}. Check the command's name, and that it is installed in the sandbox's image.`);
    case 'CONNECT_REFUSED':
      return new ConnectRefusedError(error.message);
    case 'BAD_REQUEST':
      return new ProtocolError(`The sandbox agent refused a request: ${error.message}`);
    default:
      return new SandboxError('INTERNAL', `${what} failed inside the sandbox: ${error.message}`);
  }
}
