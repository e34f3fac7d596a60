import { SandboxEvent } from './sandbox-event.js';

/** Fired when the command (or dev server) exits; `code` is 128 + N after signal N. */
export class ExitEvent extends SandboxEvent<{ code: number }> {
  static readonly eventName = 'cs-exit';

  constructor(detail: { code: number }) {
    super(ExitEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-exit': ExitEvent;
  }
}
