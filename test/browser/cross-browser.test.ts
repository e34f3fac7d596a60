/** <code-sandbox> in Chromium, Firefox and WebKit on a plain page (no COOP/COEP), as on most blogs. */
import { crossBrowserSuite } from './support/cross-browser-suite.js';

crossBrowserSuite('plain');
