import type { SandboxStatus } from '../sandbox-status.js';
import { SandboxEvent } from './sandbox-event.js';

/** Fired whenever the status changes; `message` is the text the reader sees. */
export class StatusEvent extends SandboxEvent<{ status: SandboxStatus; message: string }> {
  static readonly eventName = 'cs-status';

  constructor(detail: { status: SandboxStatus; message: string }) {
    super(StatusEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-status': StatusEvent;
  }
}
