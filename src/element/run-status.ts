/**
 * A sandbox's status and the message the reader sees. It lives in the element's
 * first-load code, so a run whose code fails to load still ends in a visible
 * state; the engine controller (loaded on the first run) moves it along.
 */
import type { ReactiveControllerHost } from 'lit';
import { SandboxErrorEvent } from './events/error-event.js';
import { StatusEvent } from './events/status-event.js';
import type { SandboxStatus } from './sandbox-status.js';

/** The element a status belongs to: it re-renders and receives the events. */
export type StatusHost = ReactiveControllerHost & EventTarget;

export class RunStatus {
  /** Where the run is. */
  status: SandboxStatus = 'idle';
  /** The status as the reader reads it. */
  message = 'Press Run to start.';

  readonly #host: StatusHost;

  constructor(host: StatusHost) {
    this.#host = host;
  }

  /** Moves to `status`: re-renders the host and fires `cs-status` (only when something changed). */
  set(status: SandboxStatus, message: string): void {
    if (this.status === status && this.message === message) return;
    this.status = status;
    this.message = message;
    this.#host.requestUpdate();
    this.#host.dispatchEvent(new StatusEvent({ status, message }));
  }

  /** Shows a failure: status `error`, its message, and `cs-error`. */
  fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.set('error', message);
    this.#host.dispatchEvent(new SandboxErrorEvent({ message, error }));
  }
}
