/**
 * Creates engines on demand. Each engine's code loads with `import()` the first
 * time a sandbox needs it (once per page, shared by every sandbox), so a page
 * that never runs an example never downloads an engine.
 */
import type { ContainerEngine } from '../engine/container-engine.js';
import type { Stack } from '../engine/stack.js';
import type { EngineKind } from '../selection/select-engine.js';

/** What an engine is created with. */
export interface EngineOptions {
  /** The orchestrator's base URL (remote engine). */
  remoteUrl?: string | undefined;
  /** The example's stack (the `template` attribute, else inferred from the files), so the server picks a matching image (remote engine). */
  template?: Stack | undefined;
  /** Milliseconds the engine gets to boot. */
  bootTimeout: number;
}

/** Creates a (not yet booted) engine of a kind. Replace it on an element to supply your own engines. */
export type EngineFactory = (kind: EngineKind, options: EngineOptions) => Promise<ContainerEngine>;

/** The default factory: `BrowserContainerEngine` or `RemoteContainerEngine`, loaded lazily. */
export const loadEngine: EngineFactory = async (kind, options) => {
  if (kind === 'browser') {
    const { BrowserContainerEngine } = await import('../browser-engine/browser-container-engine.js');
    return new BrowserContainerEngine({ bootTimeout: options.bootTimeout });
  }
  if (!options.remoteUrl) throw new TypeError('The remote engine needs remote-url.');
  const { RemoteContainerEngine } = await import('../remote/remote-container-engine.js');
  return new RemoteContainerEngine({
    url: options.remoteUrl,
    ...(options.template ? { template: options.template } : {}),
  });
};
