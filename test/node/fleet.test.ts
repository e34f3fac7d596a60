/**
 * Two servers of a fleet (real CLI processes on this machine's Docker) behind
 * a round-robin proxy: one reader's session is served through both, a full
 * server places new sessions on its peer, hops cannot be forged, and a killed
 * server takes only its own sessions (their readers are told why).
 */
import './support/localhost-resolver.js';
import { once } from 'node:events';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { collectText, type RemoteContainerEngine } from '../../src/index.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { until } from '../contract/helpers.js';
import { freePort, hmr, startFleetServer, type FleetServer } from './support/fleet-server.js';
import { containers, remoteEngine, run, testOwner } from './support/orchestrator.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './support/round-robin-proxy.js';

const SECRET = 'fleet-test-secret-0123456789';

/** A dev server that echoes the headers it got, and answers a WebSocket upgrade (HMR) with a real handshake and one message. */
const DEV_SERVER = `const http = require('http'), crypto = require('crypto');
const server = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');
  socket.write(Buffer.concat([Buffer.from([0x81, 13]), Buffer.from('hmr:connected')]));
});
server.listen(process.env.PORT);`;

interface Created {
  id: string;
  token: string;
  websocketUrl: string;
}

async function create(url: string): Promise<{ status: number; retryAfter: string | null; body: Created & { error?: { code: string } } }> {
  const response = await fetch(`${url}/sessions`, { method: 'POST' });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Created & { error?: { code: string } } };
}

async function ownerOf(url: string): Promise<string> {
  return ((await (await fetch(`${url}/healthz`)).json()) as { owner: string }).owner;
}

/** Opens the session's WebSocket, says hello, and resolves with the server's greeting. */
async function hello(created: Created): Promise<Record<string, unknown>> {
  const socket = new WebSocket(`${created.websocketUrl}?token=${created.token}`);
  await once(socket, 'open');
  socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
  const [data] = (await once(socket, 'message')) as [Buffer];
  socket.close();
  await once(socket, 'close');
  return JSON.parse(data.toString()) as Record<string, unknown>;
}

describe('a fleet of two servers behind a round-robin proxy', function () {
  this.timeout(180_000);
  const owners = [testOwner('fleet-a'), testOwner('fleet-b')];
  let ports: number[];
  let proxy: RoundRobinProxy;
  let servers: FleetServer[] = [];
  const engines: RemoteContainerEngine[] = [];

  function start(index: number): Promise<FleetServer> {
    const peer = ports[1 - index]!;
    return startFleetServer({
      port: ports[index]!,
      owner: owners[index]!,
      secret: SECRET,
      args: [
        ...['--peer', `http://127.0.0.1:${peer}`, '--public-url', proxy.url, '--preview-url', `http://{session}-{port}.localhost:${new URL(proxy.url).port}/`],
        ...['--max-sessions', '2', '--max-sessions-per-address', '50', '--creates-per-minute', '600'],
      ],
    });
  }

  before(async () => {
    ports = [await freePort(), await freePort()];
    proxy = await startRoundRobinProxy(ports.map((port) => `http://127.0.0.1:${port}`));
    servers = await Promise.all([start(0), start(1)]);
    // Each knows the other once a probe has answered.
    await until('the servers to know each other', async () => (await Promise.all(servers.map((s) => fetch(`${s.url}/readyz`)))).every((r) => r.ok), 20_000);
  });
  after(async () => {
    await Promise.all(engines.map((engine) => engine.teardown().catch(() => undefined)));
    await Promise.all(servers.map((server) => server.stop()));
    await proxy?.close();
    for (const owner of owners) {
      const left = await containers(`label=dev.code-sandbox.owner=${owner}`);
      if (left.length) await run('docker', ['rm', '-f', ...left]);
    }
  });

  it('serves one reader\'s session through both servers without a failed request', async () => {
    const engine = remoteEngine(proxy.url);
    engines.push(engine);
    await engine.boot();
    await engine.mount({ 'server.js': { file: { contents: DEV_SERVER } } });
    for (let i = 0; i < 4; i++) {
      const printed = await engine.exec('node', ['-e', `console.log(${i} * 7)`]);
      expect((await collectText(printed.stream)).trim()).to.equal(String(i * 7));
    }
    expect(await engine.readFile('server.js')).to.equal(DEV_SERVER);
    const preview = await engine.startDevServer({ command: 'node server.js' });
    const previewHost = new URL(preview.url).host;
    const before = new Map(proxy.sent);
    for (let i = 0; i < 6; i++) {
      const response = await fetch(preview.url);
      expect(response.status).to.equal(200);
      const headers = (await response.json()) as Record<string, string>;
      expect(headers['host'], 'the dev server sees its own host').to.equal('localhost:3000');
      expect(headers['x-forwarded-host']).to.equal(previewHost);
      expect(Object.keys(headers).filter((name) => name.startsWith('x-code-sandbox')), 'no hop header reaches the sandbox').to.deep.equal([]);
      expect(await hmr(proxy.url, previewHost)).to.equal('hmr:connected');
    }
    // The session's API and its WebSocket, through either server.
    const id = engine.sessionId!;
    const token = (await create(proxy.url)).body;
    for (let i = 0; i < 4; i++) {
      const described = await fetch(`${proxy.url}/sessions/${token.id}`, { headers: { authorization: `Bearer ${token.token}` } });
      expect(described.status).to.equal(200);
      expect(await hello(token)).to.include({ t: 'hello' });
    }
    expect((await fetch(`${proxy.url}/sessions/${token.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token.token}` } })).status).to.equal(204);
    for (const server of servers) expect(proxy.sent.get(server.url)! - (before.get(server.url) ?? 0), `requests through ${server.url}`).to.be.at.least(8);
    expect(proxy.skipped, 'no server refused a connection').to.equal(0);
    expect(id.slice(0, 6)).to.be.oneOf(await Promise.all(servers.map((server) => ownerOf(server.url))));
    await preview.process.kill();
    await engine.teardown();
  });

  it('places a new session on the peer when the server that got it is full, and answers 503 with Retry-After when all are', async () => {
    const [a, b] = servers as [FleetServer, FleetServer];
    const [ownerA, ownerB] = [await ownerOf(a.url), await ownerOf(b.url)];
    const made: Created[] = [];
    while ((await fetch(`${a.url}/readyz`)).ok) made.push((await create(a.url)).body);
    expect(made.every((created) => created.id.startsWith(ownerA)), 'a server with room keeps what it is asked for').to.equal(true);
    const full = await fetch(`${a.url}/readyz`);
    expect(full.status).to.equal(503);
    expect(full.headers.get('retry-after')).to.match(/^\d+$/);
    let placed = 0;
    for (;;) {
      const { status, retryAfter, body } = await create(a.url);
      if (status !== 201) {
        expect(status).to.equal(503);
        expect(body.error).to.include({ code: 'CAPACITY' });
        expect(retryAfter).to.match(/^\d+$/);
        break;
      }
      expect(body.id.startsWith(ownerB), 'placed on the peer').to.equal(true);
      // Its reader reaches it through the server that placed it.
      expect(await hello(body)).to.include({ t: 'hello' });
      made.push(body);
      placed++;
    }
    expect(placed).to.be.at.least(1);
    expect((await fetch(`${b.url}/readyz`)).status).to.equal(503);
    // Ended through the other server than their owner's: every hop passes a DELETE too.
    for (const created of made) {
      const other = created.id.startsWith(ownerA) ? b : a;
      expect((await fetch(`${other.url}/sessions/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.token}` } })).status).to.equal(204);
    }
    await until('both servers to have room again', async () => (await Promise.all(servers.map((s) => fetch(`${s.url}/readyz`)))).every((r) => r.ok), 10_000);
  });

  it('does not trust a hop a reader forged', async () => {
    const [a, b] = servers as [FleetServer, FleetServer];
    const onB = (await create(b.url)).body;
    // Were the header trusted, a would answer from its own (empty) sessions: 404.
    const forged = await fetch(`${a.url}/sessions/${onB.id}`, {
      headers: { authorization: `Bearer ${onB.token}`, 'x-code-sandbox-hop': `${Date.now()}.forged`, 'x-code-sandbox-client': '203.0.113.9' },
    });
    expect(forged.status).to.equal(200);
    await fetch(`${b.url}/sessions/${onB.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${onB.token}` } });
  });

  it('loses only the killed server\'s sessions: their readers are told, new sessions land on the living, a restart leaves nothing', async () => {
    const [ownerA, ownerB] = await Promise.all(servers.map((server) => ownerOf(server.url)));
    const readers: Record<string, RemoteContainerEngine> = {};
    while (!readers[ownerA!] || !readers[ownerB!]) {
      const engine = remoteEngine(proxy.url);
      engines.push(engine);
      await engine.boot();
      const owner = engine.sessionId!.slice(0, 6);
      if (readers[owner]) await engine.teardown();
      else readers[owner] = engine;
    }
    const [survivor, victim] = [readers[ownerA!]!, readers[ownerB!]!];
    const ticking = await victim.exec('sh', ['-c', 'while true; do echo tick; sleep 0.2; done']);
    const printed = collectText(ticking.stream);
    expect(await containers(`label=dev.code-sandbox.owner=${owners[1]}`)).to.not.deep.equal([]);
    await servers[1]!.stop('SIGKILL');
    // The reader's terminal says why, and the engine is done for (the element's next Run starts a new one).
    expect(await printed).to.contain('tick').and.to.contain('The sandbox server running this session has stopped');
    expect(victim.status).to.equal('failed');
    const still = await survivor.exec('node', ['-e', 'console.log("still here")']);
    expect((await collectText(still.stream)).trim()).to.equal('still here');
    for (let i = 0; i < 3; i++) {
      const fresh = remoteEngine(proxy.url);
      engines.push(fresh);
      await fresh.boot();
      expect(fresh.sessionId!.slice(0, 6), 'a new session lands on the living server').to.equal(ownerA);
      await fresh.teardown();
    }
    // Restarted on the same address, it removes what it left behind.
    servers[1] = await start(1);
    expect(await containers(`label=dev.code-sandbox.owner=${owners[1]}`)).to.deep.equal([]);
    expect(await ownerOf(servers[1].url)).to.equal(ownerB);
  });
});
