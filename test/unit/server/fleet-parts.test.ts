/** The fleet's pure parts, without Docker: hop signatures, owner ids, the CLI's fleet flags. Node only. */
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { orchestratorOptions } from '../../../src/server/cli-options.js';
import { HopSigner } from '../../../src/server/fleet/hop.js';
import { createFleet } from '../../../src/server/fleet/fleet.js';
import { ownerIdOf, ownerOfSession } from '../../../src/server/fleet/owner.js';
import { PreviewHosts } from '../../../src/server/orchestrator/preview-proxy.js';
import { newSessionId } from '../../../src/server/orchestrator/session.js';

/** Enough of an IncomingMessage for the signer: request line, headers, raw headers, the connection's address. */
function request(url: string, headers: Record<string, string>, remoteAddress = '10.0.0.5'): IncomingMessage {
  return { method: 'GET', url, headers: { ...headers }, rawHeaders: Object.entries(headers).flat(), socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('fleet hops', () => {
  const signer = new HopSigner('fleet secret');

  it('accepts a hop signed with the fleet\'s secret, naming the reader, and removes its headers before anything else sees them', () => {
    const sent = request('/sessions/abc123ff', { host: 'sandbox.example' }, '198.51.100.7');
    const received = request('/sessions/abc123ff', { host: 'sandbox.example', ...signer.sign(sent, 1000) });
    expect(signer.accept(received, 2000)).to.equal('198.51.100.7');
    expect(Object.keys(received.headers)).to.deep.equal(['host']);
    expect(received.rawHeaders).to.deep.equal(['host', 'sandbox.example']);
  });

  it('refuses a forged, stale, or replayed-elsewhere hop', () => {
    const sent = request('/sessions/abc123ff', { host: 'sandbox.example' });
    const hop = signer.sign(sent, 1000);
    expect(signer.accept(request('/sessions/abc123ff', { host: 'sandbox.example', ...new HopSigner('other secret').sign(sent, 1000) }), 1000), 'another secret').to.equal(undefined);
    expect(signer.accept(request('/sessions/abc123ff', { host: 'sandbox.example', ...hop }), 1000 + 31_000), 'stale').to.equal(undefined);
    expect(signer.accept(request('/sessions/ffff0000', { host: 'sandbox.example', ...hop }), 1000), 'another session').to.equal(undefined);
    expect(signer.accept(request('/sessions/abc123ff', { host: 'sandbox.example', ...hop, 'x-code-sandbox-client': '127.0.0.1' }), 1000), 'another reader').to.equal(undefined);
    const forged = request('/', { host: 'x', 'x-code-sandbox-hop': '1000.forged', 'x-code-sandbox-client': '127.0.0.1' });
    expect(signer.accept(forged, 1000)).to.equal(undefined);
    expect(forged.headers, 'a forged hop reaches no sandbox either').to.deep.equal({ host: 'x' });
  });
});

describe('fleet owners and options', () => {
  it('names a session\'s owner in its id, a DNS label that preview hosts still parse', () => {
    const owner = ownerIdOf('http://10.0.0.2:8787/');
    expect(owner).to.match(/^[0-9a-f]{6}$/).and.to.equal(ownerIdOf('http://10.0.0.2:8787'));
    expect(ownerIdOf('http://10.0.0.3:8787')).to.not.equal(owner);
    const id = newSessionId(owner);
    expect(ownerOfSession(id)).to.equal(owner);
    const previews = new PreviewHosts();
    previews.configure('https://{session}-{port}.preview.example.com/', 8787);
    expect(previews.target(new URL(previews.url(id, 5173)).host)).to.deep.equal({ session: id, port: 5173 });
  });

  it('reads --peer, CODE_SANDBOX_PEERS, --peer-dns and --advertise-url', () => {
    const options = orchestratorOptions({ peer: ['http://10.0.0.2:8787'], 'peer-dns': 'code-sandbox:8787' }, { CODE_SANDBOX_PEERS: 'http://10.0.0.3:8787,http://10.0.0.4:8787', CODE_SANDBOX_ADVERTISE_URL: 'http://10.0.0.1:8787' });
    expect(options.fleet).to.deep.equal({
      peers: ['http://10.0.0.2:8787', 'http://10.0.0.3:8787', 'http://10.0.0.4:8787'],
      peerDns: 'code-sandbox:8787',
      advertiseUrl: 'http://10.0.0.1:8787',
    });
    expect(orchestratorOptions({}, {}).fleet).to.equal(undefined);
  });

  it('refuses a fleet without a shared secret, and peers it cannot use, saying what to fix', () => {
    const context = { secret: 'random', previews: new PreviewHosts(), capacity: () => ({ sessions: 0, limit: 1, open: true }), log: () => undefined };
    expect(() => createFleet({ ...context, secretGiven: false, options: { peers: ['http://10.0.0.2:8787'] } })).to.throw(/CODE_SANDBOX_SECRET/);
    expect(() => createFleet({ ...context, secretGiven: true, options: { peers: ['10.0.0.2:8787'] } })).to.throw(/http\(s\) URL such as/);
    expect(() => createFleet({ ...context, secretGiven: true, options: { peerDns: 'code-sandbox' } })).to.throw(/host:port/);
    expect(createFleet({ ...context, secretGiven: false, options: {} }).owner, 'a fleet of one needs no secret').to.equal('');
  });
});
