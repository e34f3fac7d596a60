/** HTTP errors with a code clients can act on, and the one place that shapes them. */
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

/** An error's answer: `{ error: { code, message } }` with its status and headers. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: HttpErrorCode; message: string } };
}

/** What to answer for `error`; anything that is not an HttpError is logged and hidden behind a 500. */
export function errorAnswer(error: unknown, log: (line: string) => void): ErrorAnswer {
  if (error instanceof HttpError) {
    return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } } };
  }
  log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
  return { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'Internal server error.' } } };
}

/** Writes JSON on a raw response; never cached. */
function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** Writes an error on a raw response (front doors answer outside the app). */
export function sendError(res: ServerResponse, error: unknown, log: (line: string) => void): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, headers, body } = errorAnswer(error, log);
  sendJson(res, status, body, headers);
}
