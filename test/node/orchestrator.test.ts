/** The orchestrator's guards, limits and lifecycle, on real Docker, through raw HTTP and WebSocket clients. */
import './support/localhost-resolver.js';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { collectText } from '../../src/index.js';
import { CLOSE, PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import type { Orchestrator } from '../../src/server/index.js';
import { containers, IMAGE, remoteEngine, startOrchestrator, testOwner } from './support/orchestrator.js';
import { until } from '../contract/helpers.js';
import { WINDOW as AGENT_WINDOW } from '../../src/server/local-engine/agent/flow-control.js';

const run = promisify(execFile);

interface Created {
  id: string;
  token: string;
  websocketUrl: string;
  expiresAt: number;
}

async function createSession(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Created & { error?: { code: string; message: string } } }> {
  const response = await fetch(`${url}/sessions`, { method: 'POST', headers });
  return { status: response.status, body: (await response.json()) as Created & { error?: { code: string; message: string } } };
}

/** Opens a raw WebSocket and resolves with it once open, or with the close/unexpected response. */
function connect(url: string, origin?: string): Promise<WebSocket> {
  const socket = new WebSocket(url, origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    socket.once('error', reject);
  });
}

function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>)));
}

async function greeted(created: Created): Promise<WebSocket> {
  const socket = await connect(`${created.websocketUrl}?token=${created.token}`);
  socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
  expect(await nextMessage(socket)).to.include({ t: 'hello' });
  return socket;
}

describe('orchestrator', function () {
  this.timeout(60_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;
  let healthy: ReturnType<typeof remoteEngine>;

  before(async () => {
    ({ orchestrator, url, owner } = await startOrchestrator({
      allowedOrigins: ['http://docs.example'],
      limits: { maxMessageBytes: 1024 * 1024, sessionsPerAddress: 50, createsPerMinute: 600 },
    }));
    healthy = remoteEngine(url);
    await healthy.boot();
  });
  after(async () => {
    await healthy?.teardown();
    await orchestrator?.close();
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`)).to.deep.equal([]);
  });

  /** After every hostile input, another session on the same server still works. */
  async function assertOthersServed(): Promise<void> {
    const probe = await healthy.exec('node', ['-e', 'console.log("still here")']);
    expect((await collectText(probe.stream)).trim()).to.equal('still here');
  }

  it('answers /healthz', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.include({ ok: true });
  });

  it('answers a malformed frame with a typed error and keeps the connection', async () => {
    const { body } = await createSession(url);
    const socket = await greeted(body);
    for (const frame of ['{not json', JSON.stringify({ t: 'req', id: 1, op: 'exec', cmd: 5 }), JSON.stringify({ t: 'nope' }), Buffer.from([0, 0, 0, 99, 1])]) {
      socket.send(frame);
      const reply = await nextMessage(socket);
      expect(reply['t']).to.equal('error');
      expect(reply['error']).to.have.property('code', 'PROTOCOL_ERROR');
    }
    socket.send(JSON.stringify({ t: 'ping', n: 7 }));
    expect(await nextMessage(socket)).to.deep.equal({ t: 'pong', n: 7 });
    socket.close();
    await assertOthersServed();
  });

  it('closes a connection that sends an oversized frame, with code 1009', async () => {
    const { body } = await createSession(url);
    const socket = await greeted(body);
    const closed = closeOf(socket);
    socket.send(Buffer.alloc(2 * 1024 * 1024));
    expect((await closed).code).to.equal(CLOSE.tooBig);
    await assertOthersServed();
  });

  it('refuses a bad, an expired and another session\'s token, each with its reason', async () => {
    const { body: first } = await createSession(url);
    const { body: second } = await createSession(url);
    const bad = await connect(`${first.websocketUrl}?token=forged.123.abc`);
    expect(await closeOf(bad)).to.deep.include({ code: CLOSE.unauthorized });
    const foreign = await connect(`${first.websocketUrl}?token=${second.token}`);
    const foreignClose = await closeOf(foreign);
    expect(foreignClose.code).to.equal(CLOSE.unauthorized);
    expect(foreignClose.reason).to.contain('another session');
    const none = await connect(first.websocketUrl);
    expect((await closeOf(none)).reason).to.contain('needs the session token');
    const info = await fetch(`${url}/sessions/${first.id}`, { headers: { authorization: `Bearer ${second.token}` } });
    expect(info.status).to.equal(401);
    await assertOthersServed();

    const shortLived = await startOrchestrator({ tokenTtl: 300 });
    try {
      const { body } = await createSession(shortLived.url);
      await until('the token expired', async () => Date.now() > body.expiresAt, 5000);
      const expired = await connect(`${body.websocketUrl}?token=${body.token}`);
      expect((await closeOf(expired)).reason).to.contain('expired');
    } finally {
      await shortLived.orchestrator.close();
    }
  });

  it('refuses an unknown or ended session id', async () => {
    const { body } = await createSession(url);
    const deleted = await fetch(`${url}/sessions/${body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${body.token}` } });
    expect(deleted.status).to.equal(204);
    const socket = await connect(`${body.websocketUrl}?token=${body.token}`);
    const closed = await closeOf(socket);
    expect(closed.code).to.equal(CLOSE.sessionEnded);
    expect(closed.reason).to.contain('Create a new one');
    expect(await containers(`name=code-sandbox-${body.id}`)).to.deep.equal([]);
    const unknown = await fetch(`${url}/sessions/0123456789abcdef0123`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(unknown.status).to.equal(401);
    await assertOthersServed();
  });

  it('refuses a WebSocket from a foreign Origin before upgrading', async () => {
    const { body } = await createSession(url);
    const error = await connect(`${body.websocketUrl}?token=${body.token}`, 'http://evil.example').catch((e: Error & { status?: number }) => e);
    expect(error).to.have.property('status', 403);
    const allowed = await connect(`${body.websocketUrl}?token=${body.token}`, 'http://docs.example');
    allowed.close();
  });

  it('bounds what it holds for a client that never reads its output', async () => {
    const { body } = await createSession(url);
    const socket = await greeted(body);
    socket.send(JSON.stringify({ t: 'req', id: 1, op: 'exec', cmd: 'node', args: ['-e', 'const s = "x".repeat(65536); (function pump() { while (process.stdout.write(s)); process.stdout.once("drain", pump); })()'] }));
    const session = orchestrator.sessions.get(body.id)!;
    const limit = 1024 * 1024; // the default outputBufferBytes
    await until('output to reach half the limit', async () => session.bufferedOutput >= limit / 2, 20_000);
    // Holding still is the absence of change: look twice, a second apart.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const held = session.bufferedOutput;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Never acknowledged: the process was paused at the limit and holds still (past it by at
    // most what the sandbox's agent had in flight: one flow-control window).
    expect(held).to.be.at.most(limit + AGENT_WINDOW + 2 * 65536);
    expect(session.bufferedOutput).to.equal(held);
    socket.close();
    await assertOthersServed();
  });

  it('routes a preview host to the session\'s port, HTTP and WebSocket alike, opening no host port', async () => {
    await healthy.mount({
      'server.js': {
        file: {
          contents: `const http = require('http');
            const server = http.createServer((req, res) => {
              let bytes = 0;
              req.on('data', (chunk) => (bytes += chunk.length));
              req.on('end', () => res.end(req.method === 'POST' ? req.url + ' read ' + bytes + ' bytes' : 'preview ' + req.headers.host + ' for ' + req.headers['x-forwarded-host']));
            });
            server.on('upgrade', (req, socket) => {
              socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n');
              socket.end('upgraded');
            });
            server.listen(process.env.PORT);`,
        },
      },
    });
    const server = await healthy.startDevServer({ command: 'node server.js' });
    expect(server.url).to.match(/^http:\/\/[0-9a-f]{26}-3000\.localhost:\d+\/$/);
    const response = await fetch(server.url);
    // The dev server sees the Host it would see locally (host checks pass); the preview's host is forwarded.
    expect(await response.text()).to.equal(`preview localhost:3000 for ${new URL(server.url).host}`);
    // An API path on a preview host is the preview's (proxied before any route, body limit or upgrade check).
    const posted = await fetch(`${server.url}sessions`, { method: 'POST', body: 'x'.repeat(64 * 1024) });
    expect(await posted.text()).to.equal(`/sessions read ${64 * 1024} bytes`);
    const { connect: netConnect } = await import('node:net');
    const port = Number(new URL(url).port);
    const raw = netConnect(port, '127.0.0.1');
    await once(raw, 'connect');
    raw.write(`GET /sessions/abcd1234/ws HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
    let upgraded = '';
    raw.on('data', (chunk) => (upgraded += chunk));
    await once(raw, 'end');
    expect(upgraded).to.contain('101 Switching Protocols').and.to.contain('upgraded');
    const unknown = await fetch(`http://0123456789abcdef0123-3000.localhost:${port}/`);
    expect(unknown.status).to.equal(404);
    // Reached through the sandbox's agent: no host port is opened for it.
    const container = orchestrator.sessions.get(healthy.sessionId!)!.engine.containerId!;
    expect((await run('docker', ['port', container])).stdout.trim()).to.equal('');
    await server.process.kill();
  });

  it('reaps idle sessions and removes their containers', async () => {
    const idle = await startOrchestrator({ limits: { idleTimeout: 500 } });
    try {
      const { body } = await createSession(idle.url);
      expect(await containers(`name=code-sandbox-${body.id}`)).to.have.length(1);
      await until('the idle session to be reaped', async () => idle.orchestrator.sessions.size === 0, 10_000);
      await until('its container to be removed', async () => (await containers(`name=code-sandbox-${body.id}`)).length === 0, 10_000);
    } finally {
      await idle.orchestrator.close();
    }
  });

  it('answers past its capacity with a clear error', async () => {
    const small = await startOrchestrator({ limits: { sessions: 1 } });
    try {
      expect((await createSession(small.url)).status).to.equal(201);
      const { status, body } = await createSession(small.url);
      expect(status).to.equal(503);
      expect(body.error).to.deep.include({ code: 'CAPACITY' });
      expect(body.error!.message).to.contain('at capacity');
      const engine = remoteEngine(small.url);
      const error = await engine.boot().catch((e: Error) => e);
      expect(error).to.have.property('code', 'LIMIT_EXCEEDED');
      expect(error, 'the server\'s Retry-After reaches the client').to.have.property('retryAfter', 30);
    } finally {
      await small.orchestrator.close();
    }
  });

  it('limits session creations per address, with a Retry-After the page can read; an API key is not limited', async () => {
    const limited = await startOrchestrator({ limits: { createsPerMinute: 1 }, apiKeys: ['server-key'], allowedOrigins: ['http://docs.example'] });
    try {
      const page = { origin: 'http://docs.example' };
      expect((await createSession(limited.url, page)).status).to.equal(201);
      const response = await fetch(`${limited.url}/sessions`, { method: 'POST', headers: page });
      expect(response.status).to.equal(429);
      expect(((await response.json()) as { error: { code: string } }).error.code).to.equal('RATE_LIMITED');
      expect(Number(response.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(response.headers.get('access-control-allow-origin')).to.equal('http://docs.example');
      expect(response.headers.get('access-control-expose-headers')).to.contain('retry-after');
      expect((await createSession(limited.url, { authorization: 'Bearer server-key' })).status).to.equal(201);
    } finally {
      await limited.orchestrator.close();
    }
  });

  it('answers a CORS preflight for the session API', async () => {
    const response = await fetch(`${url}/sessions`, { method: 'OPTIONS', headers: { origin: 'http://docs.example', 'access-control-request-method': 'POST' } });
    expect(response.status).to.equal(204);
    expect(response.headers.get('access-control-allow-origin')).to.equal('http://docs.example');
    expect(response.headers.get('access-control-allow-methods')).to.contain('POST');
    expect(response.headers.get('access-control-allow-headers')).to.contain('authorization');
  });

  it('removes containers an earlier run left behind when it starts', async () => {
    const leftOwner = testOwner('orphans');
    await run('docker', ['run', '-d', '--label', `dev.code-sandbox.owner=${leftOwner}`, IMAGE, 'sleep', '300']);
    expect(await containers(`label=dev.code-sandbox.owner=${leftOwner}`)).to.have.length(1);
    const fresh = await startOrchestrator({ owner: leftOwner });
    await fresh.orchestrator.close();
    expect(await containers(`label=dev.code-sandbox.owner=${leftOwner}`)).to.deep.equal([]);
  });

  it('closes gracefully on SIGTERM from the CLI and leaves no container', async () => {
    const cliOwner = testOwner('cli');
    const cli = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--port', '0', '--owner', cliOwner], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(cli, 'exit');
    try {
      let printed = '';
      cli.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await until('the CLI to print where it listens', async () => /listening on http:\/\/\S+\n/.test(printed), 30_000);
      const cliUrl = /listening on (http:\/\/\S+)/.exec(printed)![1]!;
      const { status, body } = await createSession(cliUrl);
      expect(status).to.equal(201);
      expect(await containers(`name=code-sandbox-${body.id}`), 'the session has its container').to.have.length(1);
      cli.kill('SIGTERM');
      const [code] = (await exited) as [number];
      expect(code).to.equal(0);
      // The session's container and the warm pool's are all gone.
      expect(await containers(`label=dev.code-sandbox.owner=${cliOwner}`)).to.deep.equal([]);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
  });
});
