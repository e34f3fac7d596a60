/** The orchestrator's pure parts, without Docker: session tokens, preview host names. Node only. */
import { expect } from 'chai';
import { parsePreviewHost } from '../../../src/server/orchestrator/preview-proxy.js';
import { TokenSigner } from '../../../src/server/orchestrator/tokens.js';

describe('session tokens', () => {
  const signer = new TokenSigner('secret', 60_000);

  it('accepts a token for its own session until it expires', () => {
    const { token, expiresAt } = signer.issue('abcd1234', 1000);
    expect(expiresAt).to.equal(61_000);
    expect(signer.check(token, 'abcd1234', 60_999)).to.equal(undefined);
    expect(signer.check(token, 'abcd1234', 61_000)).to.equal('expired');
  });

  it('refuses a missing token, another session\'s, and any change to one', () => {
    const { token } = signer.issue('abcd1234', 1000);
    expect(signer.check(undefined, 'abcd1234', 1000)).to.equal('missing');
    expect(signer.check(token, 'other999', 1000)).to.equal('other-session');
    const [session, expiry, mac] = token.split('.') as [string, string, string];
    expect(signer.check(`${session}.${Number(expiry) + 1}.${mac}`, 'abcd1234', 1000), 'a longer life').to.equal('malformed');
    expect(signer.check(`${session}.${expiry}`, 'abcd1234', 1000)).to.equal('malformed');
    expect(new TokenSigner('another secret', 60_000).check(token, 'abcd1234', 1000), 'another server\'s').to.equal('malformed');
  });
});

describe('preview host names', () => {
  it('reads the session and port from <session>-<port>.<suffix>, case-insensitively', () => {
    expect(parsePreviewHost('abcd1234-3000.localhost', 'localhost')).to.deep.equal({ session: 'abcd1234', port: 3000 });
    expect(parsePreviewHost('ABCD1234-8080.Preview.Example.com', 'preview.example.com')).to.deep.equal({ session: 'abcd1234', port: 8080 });
  });

  for (const host of [undefined, 'localhost', 'abcd1234-3000.example.com', 'abcd1234-0.localhost', 'abcd1234-70000.localhost', 'ab-3000.localhost', 'abcd_1234-3000.localhost', 'x.abcd1234-3000.localhost']) {
    it(`is not a preview: ${JSON.stringify(host)}`, () => {
      expect(parsePreviewHost(host, 'localhost')).to.equal(undefined);
    });
  }
});
