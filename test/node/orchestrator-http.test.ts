/**
 * The orchestrator's HTTP surface a page or an operator sees, on the real server
 * (fastify, real Docker for its start-up checks): body limits and their
 * messages, the create rate limit's Retry-After, API keys, the Origin
 * allow-list, CORS on errors, refused upgrades, /healthz. No session is
 * created, so no container starts.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { expect } from 'chai';
import type { Orchestrator } from '../../src/server/index.js';
import { startOrchestrator } from './support/orchestrator.js';

interface ErrorBody {
  error: { code: string; message: string };
}

const page = { origin: 'http://docs.example' };

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: ErrorBody }> {
  const response = await fetch(`${url}/sessions`, { method: 'POST', headers: { ...page, 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ErrorBody };
}

/** A raw WebSocket handshake; resolves with the server's whole answer (it closes after refusing). */
async function handshake(url: string, path: string, origin?: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  const originLine = origin ? `origin: ${origin}\r\n` : '';
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${originLine}upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  let text = '';
  socket.on('data', (chunk) => (text += chunk));
  await once(socket, 'close');
  return text;
}

describe('orchestrator HTTP API', function () {
  this.timeout(60_000);
  let orchestrator: Orchestrator;
  let url: string;

  before(async () => {
    ({ orchestrator, url } = await startOrchestrator({ allowedOrigins: ['http://docs.example'], apiKeys: ['server-key'], limits: { createsPerMinute: 3 } }));
  });
  after(() => orchestrator?.close());

  it('refuses bodies it cannot read with a 400 that says what to send, readable by the page', async () => {
    const tooBig = await post(url, JSON.stringify({ template: 'node', padding: 'x'.repeat(5000) }), { authorization: 'Bearer server-key' });
    expect(tooBig.status).to.equal(400);
    expect(tooBig.body.error).to.deep.equal({ code: 'BAD_REQUEST', message: 'The request body is larger than 4 KiB.' });
    expect(tooBig.headers.get('access-control-allow-origin')).to.equal('http://docs.example');
    expect(tooBig.headers.get('cache-control')).to.equal('no-store');
    for (const body of ['{"template":', '[]', '"node"']) {
      const refused = await post(url, body, { authorization: 'Bearer server-key' });
      expect(refused.status, body).to.equal(400);
      expect(refused.body.error.message).to.equal('The request body must be a JSON object, such as {"template": "node"}.');
    }
    const template = await post(url, '{"template": 42}', { 'content-type': 'text/plain', authorization: 'Bearer server-key' });
    expect(template.body.error.message, 'any content type is read as JSON').to.contain('"template" must be a short string');
  });

  it('limits creates per address for a minute, with a Retry-After of what is left of it; a valid API key is not counted, an invalid one refused', async () => {
    // A refused body still counts: the limit is checked before the body is read.
    for (let i = 0; i < 3; i++) expect((await post(url, '[]')).status).to.equal(400);
    const limited = await post(url, '{}');
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('RATE_LIMITED');
    expect(limited.body.error.message).to.contain('limit 3 a minute');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    expect(limited.headers.get('access-control-expose-headers')).to.contain('retry-after');
    expect((await post(url, '[]', { authorization: 'Bearer server-key' })).status, 'a keyed request skips the limit').to.equal(400);
    const wrongKey = await post(url, '{}', { authorization: 'Bearer guessed' });
    expect(wrongKey.status).to.equal(401);
    expect(wrongKey.body.error.message).to.equal('The API key is not valid for this server.');
  });

  it('refuses a page whose Origin is not allowed, naming the flag that allows it, readable cross-origin', async () => {
    const response = await fetch(`${url}/sessions`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(response.status).to.equal(403);
    expect(response.headers.get('access-control-allow-origin')).to.equal('http://evil.example');
    const { error } = (await response.json()) as ErrorBody;
    expect(error).to.deep.equal({ code: 'FORBIDDEN_ORIGIN', message: 'This sandbox server does not accept pages from http://evil.example. Its operator can allow it with --allow-origin http://evil.example.' });
  });

  it('answers a preflight from any page with 204 and the methods and headers the API takes', async () => {
    const response = await fetch(`${url}/sessions/abcd1234`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(response.status).to.equal(204);
    expect(response.headers.get('access-control-allow-origin')).to.equal('http://evil.example');
    expect(response.headers.get('access-control-allow-methods')).to.equal('GET, POST, DELETE');
    expect(response.headers.get('access-control-allow-headers')).to.equal('authorization, content-type');
  });

  it('names the API for an unknown route, and refuses an upgrade anywhere but a session socket', async () => {
    const response = await fetch(`${url}/session`, { headers: page });
    expect(response.status).to.equal(404);
    expect(((await response.json()) as ErrorBody).error.message).to.equal('No route for GET /session. The API is POST /sessions, GET|DELETE /sessions/:id, GET /healthz.');
    expect(await handshake(url, '/sessions/abcd1234')).to.match(/^HTTP\/1.1 404/).and.to.contain('WebSockets are served at /sessions/:id/ws.');
    expect(await handshake(url, '/elsewhere')).to.match(/^HTTP\/1.1 404/).and.to.contain('WebSockets are served at /sessions/:id/ws.');
    expect(await handshake(url, '/sessions/abcd1234/ws', 'http://evil.example')).to.match(/^HTTP\/1.1 403/).and.to.contain('--allow-origin http://evil.example');
  });

  it('answers /healthz with ok, its figures and the session count', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(await response.json()).to.deep.include({ ok: true, docker: 'up', sessions: 0 }).and.to.have.property('warm');
  });
});
