/** HTTP errors with a code clients can act on, and the one place that writes them. */
import type { ServerResponse } from 'node:http';

/** Codes of the orchestrator's HTTP API errors. */
export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN_ORIGIN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'CAPACITY'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Writes a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Writes an error; anything that is not an HttpError is logged and hidden behind a 500. */
export function sendError(res: ServerResponse, error: unknown, log: (line: string) => void): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
    return;
  }
  log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
  sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal server error.' } });
}
