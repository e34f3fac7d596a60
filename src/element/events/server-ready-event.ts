import { SandboxEvent } from './sandbox-event.js';

/** Fired when a dev server answers HTTP; `url` is what the preview shows. */
export class ServerReadyEvent extends SandboxEvent<{ url: string; port: number }> {
  static readonly eventName = 'cs-server-ready';

  constructor(detail: { url: string; port: number }) {
    super(ServerReadyEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-server-ready': ServerReadyEvent;
  }
}
