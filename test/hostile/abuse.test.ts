/**
 * Abuse from inside a sandbox, the heavy part (`npm run test:hostile`): fork
 * bomb, CPU spin, disk and inode exhaustion, floods of output and a 100 MB line
 * through a real orchestrator process, processes that resist being killed, and
 * very many or very large files. Each checks that the limit holds and that
 * another sandbox stays usable.
 */
import '../node/support/localhost-resolver.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import type { FileSystemTree } from '../../src/index.js';
import type { LocalContainerEngine } from '../../src/server/index.js';
import { LimitExceededError } from '../../src/engine/errors.js';
import { rejectionOf, until } from '../contract/helpers.js';
import { containers, remoteEngine, RUNTIME, testOwner } from '../node/support/orchestrator.js';
import { hostileEngine, printedSoFar, sh } from './support.js';

/** Another sandbox that must keep answering while its neighbour misbehaves. */
async function answers(engine: LocalContainerEngine): Promise<void> {
  expect(await sh(engine, 'echo still here')).to.deep.equal({ code: 0, text: 'still here\n' });
}

/** The sandbox's resource usage as Docker reports it: processes, and CPU time used in ns. */
async function usage(engine: LocalContainerEngine): Promise<{ pids: number; cpuNs: number }> {
  const stats = (await new Docker().getContainer(engine.containerId!).stats({ stream: false })) as unknown as {
    pids_stats: { current: number };
    cpu_stats: { cpu_usage: { total_usage: number } };
  };
  return { pids: stats.pids_stats.current, cpuNs: stats.cpu_stats.cpu_usage.total_usage };
}

describe('hostile: abuse from inside a sandbox', function () {
  this.timeout(300_000);
  let neighbour: LocalContainerEngine;

  before(async () => {
    neighbour = hostileEngine('neighbour');
    await neighbour.boot();
  });
  after(() => neighbour?.teardown());

  it('bounds a fork bomb by the pids limit while its parent lives; the agent still serves: Stop works, spawns meet a clear limit, the neighbour answers', async function () {
    // Docker counts no process of a gVisor sandbox (its pids are the sentry's): not established under runsc (docs/security.md).
    if (RUNTIME === 'runsc') this.skip();
    const bomb = hostileEngine('forkbomb', { limits: { pids: 128 } });
    await bomb.boot();
    const id = bomb.containerId!;
    try {
      // The classic bomb, its parent kept alive (as in an interactive shell): a parent
      // that exits takes its process tree with it, and the bomb with it. The parent
      // execs its sleep: a fork there can fail once the bomb fills the limit, ending it early.
      const parent = await bomb.exec('bash', ['-c', 'exec 2>/dev/null; :(){ :|:& };:; exec sleep 3600']);
      let peak = 0;
      for (let i = 0; i < 40 && peak < 120; i++) {
        peak = Math.max(peak, (await usage(bomb)).pids);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(peak).to.be.within(120, 128);
      // The agent's threads count against the same limit: it still answers, and a spawn says why it cannot start.
      await bomb.writeFile('alive.txt', 'yes');
      expect(await bomb.readFile('alive.txt')).to.equal('yes');
      const spawns = await Promise.all([1, 2, 3].map(() => sh(bomb, 'true').then(() => undefined, (error: unknown) => error)));
      const refused = spawns.filter((error) => error !== undefined);
      expect(refused, 'spawns refused in a full sandbox').not.to.deep.equal([]);
      for (const error of refused) {
        expect(error).to.be.instanceOf(LimitExceededError);
        expect((error as Error).message).to.contain('process limit');
      }
      await answers(neighbour);
      // Stop ends the whole bomb, and the sandbox runs commands again.
      await parent.kill('SIGKILL');
      expect(await parent.exit).to.equal(137);
      expect(await sh(bomb, 'echo back')).to.deep.equal({ code: 0, text: 'back\n' });
      expect((await usage(bomb)).pids).to.be.below(30);
    } finally {
      await bomb.teardown();
    }
    expect(await containers(`id=${id}`)).to.deep.equal([]);
  });

  it('holds a CPU spin to its CPU limit while the neighbour answers', async () => {
    const spinner = hostileEngine('spin', { limits: { cpus: 0.5 } });
    await spinner.boot();
    try {
      for (let i = 0; i < 4; i++) await spinner.exec('node', ['-e', 'for (;;) {}']);
      await until('four spinners running', async () => (await sh(spinner, 'pgrep -c -x node')).text.trim() === '4');
      const before = (await usage(spinner)).cpuNs;
      const started = process.hrtime.bigint();
      // The measurement window: CPU time used over 3 s of wall time.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const used = ((await usage(spinner)).cpuNs - before) / Number(process.hrtime.bigint() - started);
      expect(used, 'cores used').to.be.below(0.6);
      await answers(neighbour);
    } finally {
      await spinner.teardown();
    }
  });

  it('bounds disk and inode exhaustion of the workspace with LIMIT_EXCEEDED, and recovers once space is freed', async () => {
    const filler = hostileEngine('disk', { limits: { workspaceBytes: 32 * 1024 * 1024, workspaceInodes: 2000 } });
    await filler.boot();
    try {
      const disk = await sh(filler, 'dd if=/dev/zero of=/workspace/fill bs=1M count=64 2>&1 | grep -v records');
      expect(disk.text).to.match(/No space left/);
      const full = await rejectionOf(() => filler.writeFile('more.txt', 'x'.repeat(1024 * 1024)));
      expect(full).to.have.property('code', 'LIMIT_EXCEEDED');
      expect(full.message).to.contain('workspace is full');
      expect(await sh(filler, 'echo /tmp works > /tmp/t && cat /tmp/t')).to.deep.equal({ code: 0, text: '/tmp works\n' });
      await filler.deleteFile('fill');
      await filler.writeFile('more.txt', 'fits again');
      // gVisor's tmpfs has no inode cap; its files are the sentry's memory, held by the memory limit (docs/security.md).
      if (RUNTIME === 'runsc') return await answers(neighbour);

      const inodes = await sh(filler, 'mkdir /workspace/many && cd /workspace/many && i=0; while [ $i -lt 5000 ]; do true > f$i || break; i=$((i+1)); done 2>&1; echo made $i');
      expect(inodes.text).to.match(/No space left/);
      expect(Number(/made (\d+)/.exec(inodes.text)![1])).to.be.below(2000);
      const noInode = await rejectionOf(() => filler.writeFile('one-more.txt', 'x'));
      expect(noInode).to.have.property('code', 'LIMIT_EXCEEDED');
      await filler.deleteFile('many');
      await filler.writeFile('one-more.txt', 'x');
      await answers(neighbour);
    } finally {
      await filler.teardown();
    }
  });

  it('kills a process that ignores SIGTERM with SIGKILL, and teardown removes everything', async () => {
    const stubborn = hostileEngine('stubborn');
    await stubborn.boot();
    const id = stubborn.containerId!;
    const process = await stubborn.exec('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 1; done']);
    await printedSoFar(process, 'ready');
    await process.kill('SIGTERM');
    // Ignoring SIGTERM shows as still running 1.5 s later.
    const afterTerm = await Promise.race([process.exit, new Promise((resolve) => setTimeout(() => resolve('running'), 1500))]);
    expect(afterTerm).to.equal('running');
    await process.kill('SIGKILL');
    expect(await process.exit).to.equal(137);
    await stubborn.teardown();
    expect(await containers(`id=${id}`)).to.deep.equal([]);
  });

  it('kills setsid and double-forked children with their parent, even those that cleared their environment', async () => {
    const forker = hostileEngine('forker');
    await forker.boot();
    try {
      const parent = await forker.exec('sh', ['-c', [
        'setsid sleep 1001 &',
        '(sh -c "sleep 1002 &" &)',
        'nohup sh -c "trap \\"\\" HUP TERM; sleep 1003" >/dev/null 2>&1 &',
        'env -i /bin/sh -c "(setsid sleep 1004 &) &"',
        'echo started; wait',
      ].join('\n')]);
      await printedSoFar(parent, 'started');
      await until('the four sleeps to start', async () => (await sh(forker, 'ps -eo args')).text.match(/^sleep 100[1234]$/gm)?.length === 4, 10_000);
      await parent.kill('SIGKILL');
      await parent.exit;
      expect((await sh(forker, 'ps -eo args')).text).not.to.match(/^sleep 100[1234]$/m);
    } finally {
      await forker.teardown();
    }
  });

  it('takes 10,000 files in one mount, and refuses a file over the size limit', async () => {
    const files = hostileEngine('many-files');
    await files.boot();
    try {
      const tree: FileSystemTree = {};
      for (let d = 0; d < 100; d++) {
        const folder: FileSystemTree = {};
        for (let f = 0; f < 100; f++) folder[`f${f}.txt`] = { file: { contents: `${d}/${f}` } };
        tree[`d${d}`] = { directory: folder };
      }
      await files.mount(tree);
      expect(await files.readdir('')).to.have.length(100);
      expect(await files.readdir('d99')).to.have.length(100);
      expect(await files.readFile('d42/f7.txt')).to.equal('42/7');
      expect((await sh(files, 'find /workspace -type f | wc -l')).text.trim()).to.equal('10000');

      const limit = 50 * 1024 * 1024;
      await files.writeFile('max.bin', new Uint8Array(limit));
      expect((await files.readFileBytes('max.bin')).byteLength).to.equal(limit);
      const huge = await rejectionOf(() => files.writeFile('huge.bin', new Uint8Array(limit + 1)));
      expect(huge).to.have.property('code', 'LIMIT_EXCEEDED');
      await sh(files, 'head -c 60M /dev/zero > /workspace/grown.bin');
      const grown = await rejectionOf(() => files.readFileBytes('grown.bin'));
      expect(grown).to.have.property('code', 'LIMIT_EXCEEDED');
    } finally {
      await files.teardown();
    }
  });
});

describe('hostile: floods of output through a real orchestrator process', function () {
  this.timeout(300_000);
  const owner = testOwner('hostile-flood');
  let cli: ChildProcess;
  let url: string;

  /** The orchestrator process's resident memory in MiB. */
  function serverRss(): number {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cli.pid}/status`, 'utf8'))![1]) / 1024);
  }

  /** Samples the server's RSS while `work` runs; resolves with the peak. */
  async function peakRss(work: Promise<unknown>): Promise<number> {
    let peak = serverRss();
    const timer = setInterval(() => (peak = Math.max(peak, serverRss())), 50);
    try {
      await work;
    } finally {
      clearInterval(timer);
    }
    return Math.max(peak, serverRss());
  }

  before(async () => {
    cli = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--port', '0', '--owner', owner, ...(RUNTIME ? ['--runtime', RUNTIME] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await listeningUrl(cli);
  });
  after(async () => {
    cli.kill('SIGTERM');
    await new Promise((resolve) => cli.once('exit', resolve));
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`)).to.deep.equal([]);
  });

  it('streams a single 100 MB line to a reading client with bounded server memory', async () => {
    const engine = remoteEngine(url);
    await engine.boot();
    try {
      const idle = serverRss();
      const line = await engine.exec('node', ['-e', 'process.stdout.write("x".repeat(100 * 1024 * 1024))']);
      let received = 0;
      line.stream.subscribe((chunk) => (received += chunk.length));
      const peak = await peakRss(line.exit);
      expect(received).to.equal(100 * 1024 * 1024);
      console.log(`      server RSS: idle ${idle} MiB, peak ${peak} MiB while relaying a 100 MiB line`);
      expect(peak - idle, 'server RSS growth in MiB').to.be.below(150);
    } finally {
      await engine.teardown();
    }
  });

  it('bounds server memory under endless output, and the client stays responsive', async () => {
    const engine = remoteEngine(url);
    await engine.boot();
    try {
      const idle = serverRss();
      const flood = await engine.exec('yes', ['flood']);
      let received = 0;
      flood.stream.subscribe((chunk) => (received += chunk.length));
      const peak = await peakRss((async () => {
        for (let i = 0; i < 5; i++) {
          const probe = await engine.exec('echo', ['answered']);
          let text = '';
          probe.stream.subscribe((chunk) => (text += chunk));
          expect(await probe.exit).to.equal(0);
          expect(text).to.equal('answered\n');
          // Probe again once another 4 MiB of the flood went by.
          const mark = received;
          await until('more of the flood', async () => received > mark + 4 * 1024 * 1024);
        }
      })());
      await flood.kill('SIGKILL');
      expect(await flood.exit).to.equal(137);
      console.log(`      server RSS: idle ${idle} MiB, peak ${peak} MiB under ${Math.round(received / 1048576)} MiB of endless output`);
      expect(received).to.be.above(10 * 1024 * 1024);
      expect(peak - idle, 'server RSS growth in MiB').to.be.below(150);
    } finally {
      await engine.teardown();
    }
  });

  it('bounds server memory for a client that never reads a 100 MB line', async () => {
    const created = (await (await fetch(`${url}/sessions`, { method: 'POST' })).json()) as { token: string; websocketUrl: string };
    const socket = new WebSocket(`${created.websocketUrl}?token=${created.token}`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const idle = serverRss();
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
    socket.send(JSON.stringify({ t: 'req', id: 1, op: 'exec', cmd: 'node', args: ['-e', 'process.stdout.write("y".repeat(100 * 1024 * 1024))'] }));
    await new Promise((resolve) => socket.once('message', resolve));
    // Never acknowledges, and stops reading TCP altogether.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    // The observation window: the server must hold its memory for 8 s of a client that reads nothing.
    const peak = await peakRss(new Promise((resolve) => setTimeout(resolve, 8000)));
    console.log(`      server RSS: idle ${idle} MiB, peak ${peak} MiB with a 100 MiB line unread`);
    expect(peak - idle, 'server RSS growth in MiB').to.be.below(150);
    socket.terminate();
  });
});

/** The URL the CLI prints once it listens; rejects with everything it printed if it exits first. */
function listeningUrl(cli: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let printed = '';
    const read = (chunk: Buffer) => {
      printed += chunk.toString();
      const url = /listening on (http:\/\/\S+)\n/.exec(printed)?.[1];
      if (url) resolve(url);
    };
    cli.stdout!.on('data', read);
    cli.stderr!.on('data', read);
    cli.once('exit', (code) => reject(new Error(`The CLI exited (${code}) before listening: ${printed}`)));
  });
}
