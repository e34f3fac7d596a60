import { expect } from 'chai';
import { normalizeOutput, outputMatches } from '../../src/check/compare-output.js';

describe('comparing an example\'s output with the expected output', () => {
  it('ignores ANSI colours, carriage returns, trailing whitespace and trailing blank lines', () => {
    expect(normalizeOutput('\u001b[32m✓ ok\u001b[0m   \r\nnext\t\n\n\n')).to.equal('✓ ok\nnext');
    expect(outputMatches('✓ ok\nnext', '\u001b[1;32m✓ ok\u001b[0m  \r\nnext\n\n')).to.equal(true);
  });

  it('keeps what a progress line finally shows after carriage returns', () => {
    expect(normalizeOutput('10%\r50%\r100%\ndone')).to.equal('100%\ndone');
  });

  it('still tells different output apart, including a line more or less', () => {
    expect(outputMatches('42', '45')).to.equal(false);
    expect(outputMatches('a\nb', 'a')).to.equal(false);
    expect(outputMatches('a', 'a\nb')).to.equal(false);
  });

  it('lets [..] in the expected output stand for anything within one line', () => {
    expect(outputMatches('Node.js [..] on linux', 'Node.js v18.20.4 on linux')).to.equal(true);
    expect(outputMatches('took [..] ms', 'took 12\n ms')).to.equal(false);
    expect(outputMatches('a (b) [..] $c', 'a (b) anything $c'), 'regex characters are literal').to.equal(true);
  });

  it('masks volatile parts on both sides with --mask patterns', () => {
    const masks = [/v\d+\.\d+\.\d+/, /\/tmp\/\S+/g];
    expect(outputMatches('built with v1.2.3 in /tmp/abc', 'built with v1.4.0 in /tmp/xyz/q', masks)).to.equal(true);
    expect(outputMatches('built with v1.2.3', 'built with v1.4.0')).to.equal(false);
  });
});
