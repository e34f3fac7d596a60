/**
 * Faults, the heavy part (`npm run test:hostile`): hundreds of session
 * create/destroy cycles and a thousand rapid connects leave nothing behind, and
 * a container killed under a running process is reported to the remote reader.
 * HOSTILE_CYCLES overrides the number of create/destroy cycles (default 500).
 */
import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import type { Orchestrator } from '../../src/server/index.js';
import { containers, remoteEngine, startOrchestrator } from '../node/support/orchestrator.js';
import { printedSoFar, rssMiB, run } from './support.js';

const CYCLES = Number(process.env['HOSTILE_CYCLES'] ?? 500);

interface Created {
  id: string;
  token: string;
  websocketUrl: string;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function networkCount(): Promise<number> {
  const { stdout } = await run('docker', ['network', 'ls', '-q']);
  return stdout.split('\n').filter(Boolean).length;
}

/** Lets sockets finish closing and, when the runtime allows it, collects garbage. */
async function quiesce(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  (globalThis as { gc?: () => void }).gc?.();
}

describe('hostile: faults', function () {
  this.timeout(60 * 60_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;

  before(async () => {
    ({ orchestrator, url, owner } = await startOrchestrator({ limits: { sessionsPerAddress: 20, createsPerMinute: 100_000 } }));
  });
  after(async () => {
    await orchestrator?.close();
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`)).to.deep.equal([]);
  });

  it(`leaves no container, network, descriptor or memory growth after ${CYCLES} create/destroy cycles`, async () => {
    // Warm up once so lazily created state (agents, modules) is not counted as growth.
    const warm = (await (await fetch(`${url}/sessions`, { method: 'POST' })).json()) as Created;
    await fetch(`${url}/sessions/${warm.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${warm.token}` } });
    await quiesce();
    const before = { fds: openFds(), rss: rssMiB(), networks: await networkCount() };
    let done = 0;
    const worker = async () => {
      while (done < CYCLES) {
        done++;
        const response = await fetch(`${url}/sessions`, { method: 'POST' });
        expect(response.status).to.equal(201);
        const created = (await response.json()) as Created;
        const deleted = await fetch(`${url}/sessions/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.token}` } });
        expect(deleted.status).to.equal(204);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    await quiesce();
    const after = { fds: openFds(), rss: rssMiB(), networks: await networkCount() };
    console.log(`      after ${CYCLES} cycles: fds ${before.fds} -> ${after.fds}, RSS ${before.rss} -> ${after.rss} MiB, networks ${before.networks} -> ${after.networks}`);
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`)).to.deep.equal([]);
    expect(orchestrator.sessions.size).to.equal(0);
    expect(after.networks).to.equal(before.networks);
    expect(after.fds - before.fds, 'descriptors left open').to.be.at.most(10);
    expect(after.rss - before.rss, 'RSS growth in MiB').to.be.below(100);
  });

  it('survives 1,000 rapid connects and disconnects on one session, which then still works', async () => {
    const created = (await (await fetch(`${url}/sessions`, { method: 'POST' })).json()) as Created;
    await quiesce();
    const fds = openFds();
    let opened = 0;
    const worker = async (n: number) => {
      for (let i = n; i < 1000; i += 20) {
        const socket = new WebSocket(`${created.websocketUrl}?token=${created.token}`);
        socket.on('error', () => undefined);
        if (i % 3 === 0) {
          socket.terminate(); // gone mid-handshake
          continue;
        }
        await new Promise((resolve) => socket.once('open', resolve).once('close', resolve));
        if (socket.readyState === socket.OPEN) opened++;
        if (i % 3 === 1) socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
        if (i % 2) socket.terminate();
        else socket.close();
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, n) => worker(n)));
    expect(opened).to.be.above(600);
    await quiesce();
    expect(orchestrator.sessions.get(created.id)?.connected).to.equal(false);
    // A fresh client is greeted and served.
    const socket = new WebSocket(`${created.websocketUrl}?token=${created.token}`);
    const messages: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
    socket.send(JSON.stringify({ t: 'req', id: 1, op: 'exec', cmd: 'echo', args: ['served'] }));
    for (let waited = 0; !messages.some((m) => m['t'] === 'exit'); waited += 50) {
      if (waited > 30_000) throw new Error(`No exit: ${JSON.stringify(messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(messages.filter((m) => m['t'] === 'out').map((m) => m['d']).join('')).to.equal('served\n');
    socket.close();
    await quiesce();
    console.log(`      descriptors: ${fds} before, ${openFds()} after 1,000 connects`);
    expect(openFds() - fds, 'descriptors left open').to.be.at.most(10);
    await fetch(`${url}/sessions/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.token}` } });
  });

  it('tells a remote reader when the container is killed in the middle of an exec', async () => {
    const engine = remoteEngine(url);
    await engine.boot();
    try {
      const process = await engine.exec('sh', ['-c', 'echo started; sleep 300']);
      const printed = await printedSoFar(process, 'started');
      const [session] = [...orchestrator.sessions.values()];
      await run('docker', ['kill', session!.engine.containerId!]);
      expect(await process.exit).to.equal(137);
      expect(printed()).to.contain('The sandbox stopped while the process ran');
    } finally {
      await engine.teardown();
    }
  });
});
