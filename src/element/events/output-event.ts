import { SandboxEvent } from './sandbox-event.js';

/** Fired for each chunk of output the install step or the running command prints. */
export class OutputEvent extends SandboxEvent<{ data: string }> {
  static readonly eventName = 'cs-output';

  constructor(detail: { data: string }) {
    super(OutputEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-output': OutputEvent;
  }
}
