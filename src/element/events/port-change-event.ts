import type { PortEvent } from '../../engine/ports.js';
import { SandboxEvent } from './sandbox-event.js';

/**
 * Fired when a TCP port begins (`open`) or stops (`closed`) listening in the
 * sandbox, on any address, whatever opened it; `url` is where a browser previews
 * it (the remote engine's preview origin, WebContainer's URL).
 */
export class PortChangeEvent extends SandboxEvent<PortEvent> {
  static readonly eventName = 'cs-port';

  constructor(detail: PortEvent) {
    super(PortChangeEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-port': PortChangeEvent;
  }
}
