/**
 * Hostile clients of the orchestrator, the fast part (test/hostile has the heavy
 * part): fuzzed frames, messages out of order, forged and replayed tokens, and a
 * burst of session creations past capacity. Complements orchestrator.test.ts.
 */
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { collectText } from '../../src/index.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import type { Orchestrator } from '../../src/server/index.js';
import { pseudoRandomBytes, until } from '../contract/helpers.js';
import { run } from '../hostile/support.js';
import { containers, remoteEngine, startOrchestrator } from './support/orchestrator.js';

interface Created {
  id: string;
  token: string;
  websocketUrl: string;
}

async function create(url: string): Promise<{ status: number; body: Created & { error?: { code: string } } }> {
  const response = await fetch(`${url}/sessions`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as Created & { error?: { code: string } } };
}

/** A raw client that records every message the server sends. */
async function client(created: Created, token = created.token): Promise<{ socket: WebSocket; received: Array<Record<string, unknown>>; closed: Promise<number> }> {
  const socket = new WebSocket(`${created.websocketUrl}?token=${token}`);
  const received: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => received.push(JSON.parse(data.toString()) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, received, closed };
}

/** Sends a ping and resolves once its pong arrived: everything sent before has been answered. */
async function settle(socket: WebSocket, received: Array<Record<string, unknown>>, n: number): Promise<void> {
  socket.send(JSON.stringify({ t: 'ping', n }));
  await until(`pong ${n}`, async () => received.some((m) => m['t'] === 'pong' && m['n'] === n), 30_000);
}

function deepNesting(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

describe('hostile protocol', function () {
  this.timeout(60_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;

  before(async () => {
    ({ orchestrator, url, owner } = await startOrchestrator({ limits: { sessionsPerAddress: 20, createsPerMinute: 600, maxMessageBytes: 4 * 1024 * 1024 } }));
  });
  after(async () => {
    await orchestrator?.close();
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`)).to.deep.equal([]);
  });

  it('answers 500 fuzzed frames each with a protocol error, and keeps serving the connection', async () => {
    const { body } = await create(url);
    const { socket, received } = await client(body);
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
    const valid = JSON.stringify({ t: 'req', id: 1, op: 'exec', cmd: 'node', args: ['-e', '1'], env: { A: 'b' }, terminal: { cols: 80, rows: 24 } });
    const frames: Array<string | Buffer> = [
      deepNesting(100_000),
      `{"t":"req","id":1,"op":"mount","entries":${deepNesting(50_000)}}`,
      JSON.stringify({ t: 'req', id: 1e308, op: 'token' }),
      JSON.stringify({ t: 'req', id: 2 ** 64, op: 'token' }),
      JSON.stringify({ t: 'req', id: -1, op: 'token' }),
      JSON.stringify({ t: 'ack', pid: 1, seq: Number.MAX_VALUE }),
      JSON.stringify({ t: 'req', id: 3, op: 'resize', pid: 1, cols: 1e9, rows: 1 }),
      JSON.stringify({ t: 'req', id: 4, op: 'kill', pid: 1, signal: 'SIGSTOP' }),
      JSON.stringify({ t: 'req', id: 5, op: 'exec', cmd: 'node', args: 'not a list' }),
      JSON.stringify({ t: 'req', id: 6, op: 'exec', cmd: 'node', args: [], env: { A: 1 } }),
      JSON.stringify({ t: 'req', id: 7, op: 'mount', entries: [{ kind: 'file', path: 'a', bytes: [0, 2 ** 40] }] }),
      JSON.stringify({ t: 'req', id: 8, op: '__proto__' }),
      JSON.stringify({ t: 'req', id: 9, op: 'readFile', path: { toString: 'x' } }),
      'null', '[]', '""', '1e999', '{"t":', '\u0000', '\uD800',
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0, 0, 0, 2, 0xc3, 0x28]),
    ];
    for (let i = 0; i < 240; i++) frames.push(valid.slice(0, (i * 7) % valid.length)); // truncated JSON
    for (let i = 0; frames.length < 500; i++) {
      const bytes = Buffer.from(pseudoRandomBytes(1 + ((i * 131) % 2048), i + 1));
      frames.push(i % 2 ? bytes : bytes.toString('latin1'));
    }
    for (const frame of frames) socket.send(frame);
    await settle(socket, received, 1);
    const answers = received.filter((message) => message['t'] !== 'hello' && message['t'] !== 'pong');
    expect(answers).to.have.length(frames.length);
    for (const answer of answers) {
      expect(answer['t'], JSON.stringify(answer)).to.equal('error');
      expect(answer['error']).to.have.property('code', 'PROTOCOL_ERROR');
    }
    // Still the same healthy connection: a real request works.
    socket.send(JSON.stringify({ t: 'req', id: 10, op: 'token' }));
    await settle(socket, received, 2);
    expect(received.find((m) => m['id'] === 10)).to.include({ t: 'res', ok: true });
    socket.close();
  });

  it('answers messages out of order with errors, never acting on them', async () => {
    const { body } = await create(url);
    const { socket, received } = await client(body);
    // A request before hello is refused.
    socket.send(JSON.stringify({ t: 'req', id: 1, op: 'exec', cmd: 'touch', args: ['/workspace/too-early'] }));
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, resume: { '99': 5, '-1': 3 } }));
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
    socket.send(JSON.stringify({ t: 'ack', pid: 42, seq: 1000 }));
    socket.send(JSON.stringify({ t: 'req', id: 2, op: 'kill', pid: 42 }));
    socket.send(JSON.stringify({ t: 'req', id: 3, op: 'stdin', pid: 0 }));
    socket.send(JSON.stringify({ t: 'req', id: 4, op: 'resize', pid: 7, cols: 80, rows: 24 }));
    await settle(socket, received, 1);
    expect(received[0]).to.deep.include({ t: 'error' });
    expect((received[0]!['error'] as { message: string }).message).to.contain('first message');
    expect(received.filter((m) => m['t'] === 'hello')).to.have.length(1);
    for (const id of [2, 3, 4]) {
      const answer = received.find((m) => m['id'] === id);
      expect(answer, `answer ${id}`).to.deep.include({ t: 'res', ok: false });
      expect((answer!['error'] as { message: string }).message).to.contain('No running process');
    }
    socket.close();
    // Nothing was run by the early request.
    const check = orchestrator.sessions.get(body.id)!.engine;
    expect((await check.readdir('')).map((entry) => entry.name)).not.to.include('too-early');
  });

  it('refuses a forged token that extends its own expiry, and one for a session that ended', async () => {
    const { body } = await create(url);
    const [session, expiry, mac] = body.token.split('.') as [string, string, string];
    const extended = `${session}.${Number(expiry) + 3_600_000}.${mac}`;
    const forged = await client(body, extended);
    expect(await forged.closed).to.equal(4003);
    // A captured token replayed after its session ended opens nothing.
    await fetch(`${url}/sessions/${body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${body.token}` } });
    const replayed = await client(body);
    expect(await replayed.closed).to.equal(4001);
    const status = await fetch(`${url}/sessions/${body.id}`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(status.status).to.equal(404);
  });

  it('creates sessions up to the limit under a burst, then answers with a clear capacity error', async () => {
    const small = await startOrchestrator({ limits: { sessions: 3, sessionsPerAddress: 20, createsPerMinute: 600 } });
    try {
      const burst = await Promise.all(Array.from({ length: 8 }, () => create(small.url)));
      const statuses = burst.map((result) => result.status).sort();
      expect(statuses).to.deep.equal([201, 201, 201, 503, 503, 503, 503, 503]);
      for (const refused of burst.filter((result) => result.status === 503)) expect(refused.body.error).to.deep.include({ code: 'CAPACITY' });
      expect(await containers(`label=dev.code-sandbox.owner=${small.owner}`)).to.have.length(3);
      // Once one ends, there is room again.
      const first = burst.find((result) => result.status === 201)!.body;
      await fetch(`${small.url}/sessions/${first.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${first.token}` } });
      expect((await create(small.url)).status).to.equal(201);
    } finally {
      await small.orchestrator.close();
    }
    expect(await containers(`label=dev.code-sandbox.owner=${small.owner}`)).to.deep.equal([]);
  });

  it('ends a session whose container stopped under it, telling its client why', async () => {
    const { body } = await create(url);
    const { socket, closed } = await client(body);
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
    const reason = new Promise<string>((resolve) => socket.once('close', (_code, why) => resolve(why.toString())));
    const id = orchestrator.sessions.get(body.id)!.engine.containerId!;
    await run('docker', ['kill', id]);
    expect(await closed).to.equal(4001);
    expect(await reason).to.contain('stopped unexpectedly');
    expect(orchestrator.sessions.has(body.id)).to.equal(false);
    await until(`the stopped container ${id} to be removed`, async () => (await containers(`id=${id}`)).length === 0, 20_000);
  });

  it('keeps serving another session while one is flooded with garbage', async () => {
    const healthy = remoteEngine(url);
    await healthy.boot();
    try {
      const { body } = await create(url);
      const { socket } = await client(body);
      const flood = setInterval(() => {
        for (let i = 0; i < 50; i++) socket.send(Buffer.from(pseudoRandomBytes(4096, i + 7)));
      }, 5);
      try {
        const probe = await healthy.exec('node', ['-e', 'console.log("still here")']);
        expect((await collectText(probe.stream)).trim()).to.equal('still here');
      } finally {
        clearInterval(flood);
        socket.close();
      }
    } finally {
      await healthy.teardown();
    }
  });
});
