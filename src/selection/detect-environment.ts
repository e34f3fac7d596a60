/**
 * What the reader's browser can do, for `selectEngine`. Capabilities come from
 * feature detection (`crossOriginIsolated`, `SharedArrayBuffer`,
 * `navigator.userAgentData`); the user agent string only tells engine families
 * apart where no feature does (Safari and every iOS browser are WebKit).
 */
import { pageIsolation } from '../browser-engine/webcontainer-support.js';
import type { BrowserFamily, EngineEnvironment } from './select-engine.js';

/** The parts of the browser `detectEnvironment` reads; `globalThis` in a page. */
export interface EnvironmentSource {
  crossOriginIsolated?: boolean;
  SharedArrayBuffer?: unknown;
  navigator?: {
    userAgent?: string;
    maxTouchPoints?: number;
    userAgentData?: { brands?: ReadonlyArray<{ brand: string }> };
  };
}

/** Reads the capabilities of the browser this code runs in (or of `source`, for tests). */
export function detectEnvironment(source: EnvironmentSource = globalThis as EnvironmentSource): EngineEnvironment {
  return { ...pageIsolation(source), family: browserFamily(source.navigator) };
}

/**
 * The engine family: `userAgentData` brands (a Chromium-only API) first, then the
 * user agent string. iPhone/iPad browsers (CriOS, FxiOS, and iPadOS posing as a
 * Mac) are WebKit underneath.
 */
export function browserFamily(navigator: EnvironmentSource['navigator']): BrowserFamily {
  const brands = navigator?.userAgentData?.brands ?? [];
  if (brands.some(({ brand }) => /Chromium|Google Chrome|Microsoft Edge/.test(brand))) return 'chromium';
  const ua = navigator?.userAgent ?? '';
  const ios = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && (navigator?.maxTouchPoints ?? 0) > 1);
  if (ios) return 'webkit';
  if (/Firefox\//.test(ua)) return 'firefox';
  if (/Chrome\/|Chromium\/|Edg\//.test(ua)) return 'chromium';
  if (/AppleWebKit\//.test(ua)) return 'webkit';
  return 'unknown';
}
