// Debian's Chromium through playwright-core, headless and quiet (no update,
// sync or background traffic): how the end-to-end suites, the Node suites that
// open a page, and the benchmarks drive a browser outside web-test-runner.
import { chromium } from 'playwright-core';

/** Launches Chromium (`CHROMIUM_PATH`, else Debian's). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
