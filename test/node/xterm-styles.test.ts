/** The terminal's vendored xterm.js CSS stays equal to the installed @xterm/xterm's. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { xtermCssText } from '../../src/element/terminal/xterm-styles.js';

describe('xterm styles', () => {
  it('match @xterm/xterm/css/xterm.css (regenerate: node scripts/vendor-xterm-css.mjs)', () => {
    const require = createRequire(import.meta.url);
    const installed = readFileSync(require.resolve('@xterm/xterm/css/xterm.css'), 'utf8');
    expect(xtermCssText).to.equal(installed);
  });
});
