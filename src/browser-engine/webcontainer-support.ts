/**
 * Whether this page can run a WebContainer, judged by feature detection before
 * anything boots, so an engine that cannot run here fails at once with the fix.
 */
import { EngineUnavailableError } from '../engine/errors.js';
import type { WebContainerBootOptions } from './webcontainer-api.js';

/** What a WebContainer needs of the page, by feature detection. */
export interface PageIsolation {
  /** The page is cross-origin isolated (COOP `same-origin` plus COEP `require-corp` or `credentialless`). */
  crossOriginIsolated: boolean;
  /** `SharedArrayBuffer` is available (it is hidden on pages that are not isolated). */
  sharedArrayBuffer: boolean;
}

/** Reads the page's isolation from `source` (`globalThis` in a page). */
export function pageIsolation(source: { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown } = globalThis): PageIsolation {
  return { crossOriginIsolated: source.crossOriginIsolated === true, sharedArrayBuffer: typeof source.SharedArrayBuffer === 'function' };
}

/**
 * Throws `EngineUnavailableError` saying what to change when a WebContainer cannot
 * boot on this page: it needs `SharedArrayBuffer`, and a cross-origin isolated page
 * unless `coep` is `'none'` (Chromium's origin trial for pages without the headers).
 */
export function assertWebContainerSupport(
  coep: WebContainerBootOptions['coep'],
  page: PageIsolation = pageIsolation(),
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
