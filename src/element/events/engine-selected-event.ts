import type { EngineKind } from '../../selection/select-engine.js';
import { SandboxEvent } from './sandbox-event.js';

/** Fired when an engine is chosen, and again when a failed browser engine falls back to the remote one. */
export class EngineSelectedEvent extends SandboxEvent<{ engine: EngineKind; reason: string }> {
  static readonly eventName = 'cs-engine-selected';

  constructor(detail: { engine: EngineKind; reason: string }) {
    super(EngineSelectedEvent.eventName, detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cs-engine-selected': EngineSelectedEvent;
  }
}
