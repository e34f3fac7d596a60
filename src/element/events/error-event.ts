import { SandboxEvent } from './sandbox-event.js';

/** Fired when a run cannot go on; `message` says how to fix it, `error` is the cause when there is one. */
export class SandboxErrorEvent extends SandboxEvent<{ message: string; error?: unknown }> {
  static readonly eventName = 'cs-error';

  constructor(detail: { message: string; error?: unknown }) {
    super(SandboxErrorEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-error': SandboxErrorEvent;
  }
}
