import type { Browser } from 'playwright-core';

/** Launches Chromium (`CHROMIUM_PATH`, else Debian's), headless and quiet. */
export function launchChromium(): Promise<Browser>;
