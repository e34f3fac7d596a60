/** <code-sandbox> in Chromium, Firefox and WebKit on a cross-origin isolated page (web-test-runner.config.mjs sends COOP/COEP). */
import { crossBrowserSuite } from './support/cross-browser-suite.js';

crossBrowserSuite('isolated');
