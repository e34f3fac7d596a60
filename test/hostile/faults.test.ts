/**
 * Faults, the heavy part (`npm run test:hostile`): hundreds of session
 * create/destroy cycles and a thousand rapid connects leave nothing behind, and
 * a container killed under a running process is reported to the remote reader,
 * and the orchestrator rides out a restart of dockerd (run last: it stops every
 * container on the machine).
 * HOSTILE_CYCLES overrides the number of create/destroy cycles (default 500).
 */
import { existsSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import type { Orchestrator } from '../../src/server/index.js';
import { until } from '../contract/helpers.js';
import { containers, remoteEngine, RUNTIME, startOrchestrator } from '../node/support/orchestrator.js';
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

/** Waits for sockets to finish closing (the descriptor count holds still across two looks) and, when the runtime allows it, collects garbage. */
async function quiesce(): Promise<void> {
  let last = -1;
  await until('open descriptors to settle', async () => {
    const now = openFds();
    const settled = now === last;
    last = now;
    return settled;
  }, 30_000);
  (globalThis as { gc?: () => void }).gc?.();
}

describe('hostile: faults', function () {
  this.timeout(60 * 60_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;

  before(async () => {
    ({ orchestrator, url, owner } = await startOrchestrator({ limits: { sessionsPerAddress: 20, createsPerMinute: 100_000, originSessionsPerHour: 100_000 } }));
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

/** The running dockerd's process id, or undefined. */
async function dockerdPid(): Promise<number | undefined> {
  const { stdout } = await run('pidof', ['dockerd']).catch(() => ({ stdout: '' }));
  return Number(stdout.trim().split(/\s+/)[0]) || undefined;
}

/** Starts dockerd the way the test command does, if it is not running. */
async function startDockerd(): Promise<void> {
  await run('bash', ['scripts/setup.sh', 'docker'], { maxBuffer: 16 * 1024 * 1024 });
}

describe('hostile: dockerd restarted under the orchestrator', function () {
  this.timeout(10 * 60_000);

  // The orchestrator against its daemon, whatever runs the sandboxes, and it stops every container on the machine: the runc run covers it.
  before(function () {
    if (RUNTIME === 'runsc') this.skip();
  });

  after(async () => {
    if (!(await dockerdPid())) await startDockerd(); // leave the machine as we found it
  });

  it('reports it, fails new sessions clearly meanwhile, then recovers: ended sessions told why, pool refilled, nothing left behind', async () => {
    const logs: string[] = [];
    const { orchestrator, url, owner } = await startOrchestrator({ pool: 1, log: (line) => logs.push(line) });
    const health = async () => {
      const response = await fetch(`${url}/healthz`);
      return { status: response.status, ...((await response.json()) as { docker: string; warm: number }) };
    };
    try {
      await until('a warm container', async () => (await health()).warm === 1);
      const engine = remoteEngine(url);
      await engine.boot();
      const before = await containers(`label=dev.code-sandbox.owner=${owner}`);
      expect(before).to.have.length(2); // the session's and the pooled one
      const running = await engine.exec('sh', ['-c', 'echo started; sleep 300']);
      const printed = await printedSoFar(running, 'started');

      const pid = await dockerdPid();
      expect(pid, 'a running dockerd').to.be.a('number');
      process.kill(pid!, 'SIGTERM');
      await until('dockerd to stop', async () => !existsSync(`/proc/${pid}`));

      expect(await health()).to.include({ status: 503, docker: 'unreachable' });
      const refused = await fetch(`${url}/sessions`, { method: 'POST' });
      expect(refused.status).to.equal(503);
      expect(((await refused.json()) as { error: { message: string } }).error.message).to.contain('cannot start a sandbox right now');
      await until('the orchestrator to log the outage', async () => logs.some((line) => line.includes('does not answer')));
      // The reader of the running process hears why it ended.
      expect(await running.exit).to.equal(137);
      expect(printed()).to.match(/The sandbox stopped|Docker restarted/);

      await startDockerd();
      await until('the orchestrator to log the recovery', async () => logs.some((line) => line.includes('Docker daemon is back')));
      expect(await health()).to.include({ status: 200, docker: 'up' });
      await until('the session to end', async () => engine.status === 'failed');
      expect((engine.failure as Error | undefined)?.message).to.match(/stopped unexpectedly|stopped while the process ran/);
      await until('the pool to refill with a new container', async () => {
        const now = await containers(`label=dev.code-sandbox.owner=${owner}`);
        return (await health()).warm === 1 && now.length === 1 && !before.includes(now[0]!);
      });

      // A new reader is served as before.
      const fresh = remoteEngine(url);
      await fresh.boot();
      const echo = await fresh.exec('echo', ['served after the restart']);
      expect(await printedSoFar(echo, 'served after the restart').then(() => echo.exit)).to.equal(0);
      await fresh.teardown();
      await engine.teardown();
    } finally {
      await orchestrator.close();
    }
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`), 'containers left behind').to.deep.equal([]);
  });
});
