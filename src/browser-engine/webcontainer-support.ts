/**
 * Whether this page can run a WebContainer, judged by feature detection before
 * anything boots, so an engine that cannot run here fails at once with the fix.
 */
import { EngineUnavailableError } from '../engine/errors.js';
import { detectEnvironment } from '../selection/detect-environment.js';
import type { EngineEnvironment } from '../selection/select-engine.js';
import type { WebContainerBootOptions } from './webcontainer-api.js';

/**
 * Throws `EngineUnavailableError` saying what to change when a WebContainer cannot
 * boot on this page: it needs `SharedArrayBuffer`, and a cross-origin isolated page
 * unless `coep` is `'none'` (Chromium's origin trial for pages without the headers).
 */
export function assertWebContainerSupport(
  coep: WebContainerBootOptions['coep'],
  page: Pick<EngineEnvironment, 'crossOriginIsolated' | 'sharedArrayBuffer'> = detectEnvironment(),
): void {
  if (!page.crossOriginIsolated && coep !== 'none') {
    throw new EngineUnavailableError(
      'WebContainers need a cross-origin isolated page, and this one is not. Serve the page with the headers ' +
        '`Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp` (or `credentialless`, ' +
        'with the engine\'s `coep` option to match), or set remote-url to run the example on a server.',
    );
  }
  if (!page.sharedArrayBuffer) {
    throw new EngineUnavailableError(
      'This browser cannot run WebContainers: it has no SharedArrayBuffer. Use a Chromium-based browser (Chrome, Edge) ' +
        'on a cross-origin isolated page, or set remote-url to run the example on a server.',
    );
  }
}
