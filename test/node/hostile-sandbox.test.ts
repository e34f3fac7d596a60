/**
 * Hostile code inside a sandbox, the fast part (the heavy part is test/hostile):
 * privileges, secrets, the Docker socket, file API escapes through symlinks and
 * hardlinks, egress to the host and metadata addresses, out of memory, and a
 * container killed under a running process. Real containers on real Docker.
 */
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { expect } from 'chai';
import { collectText } from '../../src/engine/observable.js';
import { createOrchestrator, type LocalContainerEngine } from '../../src/server/index.js';
import { ensureSandboxNetwork, SANDBOX_NETWORK } from '../../src/server/local-engine/sandbox-network.js';
import { rejectionOf, until, waitForText } from '../contract/helpers.js';
import { hostileEngine, printedSoFar, probe, run, sh } from '../hostile/support.js';
import { remoteEngine, RUNTIME, startOrchestrator, testOwner } from './support/orchestrator.js';

/** Prints what a sandbox's processes and memory cgroup are doing, for a test that waits too long (cgroup v1 or v2 on the host). */
async function describeStuck(engine: LocalContainerEngine): Promise<void> {
  const id = engine.containerId!;
  const top = await run('docker', ['top', id, '-o', 'pid,stat,rss,wchan:30,args']).then(({ stdout }) => stdout, (error: Error) => error.message);
  const cgroup = await run('sh', ['-c', `cd /sys/fs/cgroup/memory/docker/${id} 2>/dev/null && head memory.usage_in_bytes memory.failcnt memory.oom_control || head /sys/fs/cgroup/system.slice/docker-${id}.scope/memory.events`])
    .then(({ stdout }) => stdout, (error: Error) => error.message);
  console.log(`      still waiting after 45 s; processes:\n${top}\n      memory cgroup:\n${cgroup}`);
}

/** Python that forks a sleeping child and tries PTRACE_ATTACH (16) on it, printing the result and errno. */
const PTRACE_OWN_CHILD = [
  'import ctypes, os, signal',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'child = os.fork()',
  'child or (signal.pause(), os._exit(0))',
  "print('ptrace:', libc.ptrace(16, child, 0, 0), os.strerror(ctypes.get_errno()))",
  'os.kill(child, 9)',
].join('; ');

describe('hostile sandbox: privileges and secrets', function () {
  this.timeout(90_000);
  let engine: LocalContainerEngine;

  before(async () => {
    engine = hostileEngine('privileges');
    await engine.boot();
  });
  after(() => engine?.teardown());

  it('denies setuid, mount, unshare and ptrace', async () => {
    const { text } = await sh(engine, [
      'python3 -c "import os; os.setuid(0)" 2>&1 | tail -n1',
      'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1 | head -n1',
      'out=$(unshare -r true 2>&1) && echo allowed || echo "$out" | tail -n1',
      'unshare -m true 2>&1 | tail -n1',
      // PTRACE_ATTACH to its own child: the one target even a strict Yama setting allows, so only seccomp can refuse it.
      `python3 -c "${PTRACE_OWN_CHILD}"`,
      // No root process, nor the host's or another sandbox's, is even visible.
      'ps -eo user= | sort -u | tr "\\n" " "; echo',
      'grep -E "^(CapEff|CapPrm)" /proc/self/status',
      // PR_GET_NO_NEW_PRIVS (39): gVisor's /proc/self/status has no NoNewPrivs line.
      'python3 -c "import ctypes; print(\'NoNewPrivs:\', ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))"',
    ].join('; '));
    const lines = text.trim().split('\n');
    expect(lines[0]).to.match(/PermissionError.*Operation not permitted/);
    expect(lines[1]).to.match(/must be superuser|permission denied|not permitted/i);
    // gVisor lets a process make a user namespace of its kernel (root only in there, over nothing of the host's); it still cannot mount (line 1).
    expect(lines[2]).to.match(RUNTIME === 'runsc' ? /^allowed$/ : /Operation not permitted/);
    expect(lines[3]).to.match(/Operation not permitted/);
    // gVisor does not apply the seccomp profile to the programs it runs: their ptrace is its kernel's, inside the sandbox (docs/security.md).
    expect(lines[4]).to.equal(RUNTIME === 'runsc' ? 'ptrace: 0 Success' : 'ptrace: -1 Operation not permitted');
    expect(lines[5]).to.equal('sandbox ');
    expect(text).to.match(/CapEff:\s+0{16}/).and.to.match(/CapPrm:\s+0{16}/).and.to.match(/NoNewPrivs:\s+1/);
  });

  it('has no Docker socket nor any other container runtime socket', async () => {
    const { text } = await sh(engine, 'find / -xdev \\( -name "*.sock" -o -name "docker*" -o -name "containerd*" \\) -type s 2>/dev/null; ls -l /var/run/docker.sock /run/docker.sock 2>&1');
    expect(text).not.to.match(/^s/m);
    expect(text.match(/No such file/g)).to.have.length(2);
  });

  it('shows no orchestrator secret, API key or token in the sandbox\'s environment', async () => {
    const secret = `secret-${randomBytes(8).toString('hex')}`;
    const apiKey = `key-${randomBytes(8).toString('hex')}`;
    const { orchestrator, url } = await startOrchestrator({ secret, apiKeys: [apiKey] });
    try {
      const remote = remoteEngine(url);
      await remote.boot();
      const printed = await collectText((await remote.exec('sh', ['-c', 'printenv; cat /proc/1/environ 2>&1 | tr "\\0" "\\n"'])).stream);
      expect(printed).to.contain('HOME=/home/sandbox');
      expect(printed).not.to.contain(secret).and.not.to.contain(apiKey).and.not.to.match(/[0-9a-f]{20}\.\d{13}\./);
      await remote.teardown();
    } finally {
      await orchestrator.close();
    }
  });

  it('reports a memory balloon as out of memory, and the sandbox lives on', async () => {
    const small = hostileEngine('oom', { limits: { memoryBytes: 128 * 1024 * 1024 } });
    await small.boot();
    try {
      const balloon = await small.exec('node', ['-e', 'const held = []; for (;;) held.push(Buffer.alloc(1 << 20, 1))']);
      const watchdog = setTimeout(() => void describeStuck(small), 45_000);
      const [text, code] = await Promise.all([collectText(balloon.stream), balloon.exit]).finally(() => clearTimeout(watchdog));
      if (RUNTIME === 'runsc') {
        // gVisor's kernel refuses the memory (Node aborts, 134), or the sandbox as a whole meets the cgroup's limit and stops.
        expect(code, text.slice(-300)).to.be.oneOf([134, 137]);
        if (code === 137) expect(text).to.contain('The sandbox stopped');
        else expect(await sh(small, 'echo alive')).to.deep.equal({ code: 0, text: 'alive\n' });
        return;
      }
      expect(code).to.equal(137);
      expect(text).to.contain('Out of memory').and.to.contain('128 MiB').and.to.contain('limits.memoryBytes');
      expect(await sh(small, 'echo alive')).to.deep.equal({ code: 0, text: 'alive\n' });
      // A kill the caller asks for is not mistaken for running out of memory.
      const sleeper = await small.exec('sleep', ['300']);
      await sleeper.kill('SIGKILL');
      expect(await sleeper.exit).to.equal(137);
      expect(await collectText(sleeper.stream)).to.equal('');
    } finally {
      await small.teardown();
    }
  });

  it('reports a process whose container was killed under it', async () => {
    const doomed = hostileEngine('killed');
    await doomed.boot();
    try {
      const sleeper = await doomed.exec('sh', ['-c', 'echo started; sleep 300']);
      const printed = await printedSoFar(sleeper, 'started');
      await run('docker', ['kill', doomed.containerId!]);
      expect(await sleeper.exit).to.equal(137);
      expect(printed()).to.contain('The sandbox stopped while the process ran');
    } finally {
      await doomed.teardown();
    }
  });
});

describe('hostile sandbox: against its agent', function () {
  this.timeout(120_000);
  let engine: LocalContainerEngine;
  let neighbour: LocalContainerEngine;

  before(async () => {
    engine = hostileEngine('agent');
    neighbour = hostileEngine('agent-neighbour');
    await Promise.all([engine.boot(), neighbour.boot()]);
  });
  // Under gVisor an attack may end its own sandbox (see below): the next test gets a fresh one.
  beforeEach(async () => {
    if (engine.status === 'ready') return;
    await engine.teardown();
    engine = hostileEngine('agent');
    await engine.boot();
  });
  after(() => Promise.all([engine?.teardown(), neighbour?.teardown()]));

  /** The sandbox still serves files and processes, and so does another one. */
  async function bothServe(): Promise<void> {
    await engine.writeFile('alive.txt', 'yes');
    expect(await engine.readFile('alive.txt')).to.equal('yes');
    expect(await sh(engine, 'echo ok')).to.deep.equal({ code: 0, text: 'ok\n' });
    expect(await sh(neighbour, 'echo neighbour')).to.deep.equal({ code: 0, text: 'neighbour\n' });
  }

  it('cannot write protocol frames into the agent\'s stream, and garbage it prints is only output', async () => {
    // Bytes shaped like frames, printed by a process, are its output and nothing else.
    const garbage = await engine.exec('node', ['-e', 'process.stdout.write(Buffer.from([0, 0, 0, 12, 1, 123, 34, 105, 100, 34, 58, 49, 125, 255, 0, 9]))']);
    const printed = await collectText(garbage.stream);
    expect(await garbage.exit).to.equal(0);
    expect(printed.length).to.be.greaterThan(0);
    expect(engine.status).to.equal('ready');
    await bothServe();
    // The agent's stdout is the server's stream: its descriptors are closed to the sandbox's processes (not dumpable).
    const forgery = 'printf "\\0\\0\\0\\5\\1{}{}" > /proc/1/fd/1 && echo WROTE || echo refused; ls -l /proc/1/fd/ 2>&1 | head -3';
    if (RUNTIME === 'runsc') {
      // gVisor (20240729) ignores the agent's non-dumpable flag on /proc/1/fd: the bytes reach the server, which
      // checks every frame and drops this sandbox's connection. Only its own: as `kill -TERM 1`, it ends itself.
      await sh(engine, forgery).catch(() => undefined); // the process's reader learns the sandbox stopped, or the call fails
      await until('the engine to fail', async () => engine.status === 'failed');
      expect((engine.failure as Error).message).to.match(/agent|stopped/);
      expect(await sh(neighbour, 'echo neighbour')).to.deep.equal({ code: 0, text: 'neighbour\n' });
      return;
    }
    const forged = await sh(engine, forgery);
    expect(forged.text).to.contain('refused').and.not.to.contain('WROTE');
    await bothServe();
  });

  it('keeps serving, and keeps its neighbour served, while a process floods its output', async () => {
    const flood = await engine.exec('sh', ['-c', 'yes flooding the server']);
    let flooded = 0;
    flood.stream.subscribe((chunk) => (flooded += chunk.length));
    await until('the flood to pass 1 MiB', async () => flooded > 1024 * 1024);
    await bothServe();
    await flood.kill('SIGKILL');
    expect(await flood.exit).to.equal(137);
    expect(flooded).to.be.greaterThan(1024 * 1024);
  });
  it('cannot kill its PID 1 (the agent): KILL, STOP, INT, HUP, QUIT and SEGV do nothing; TERM ends only its own sandbox', async () => {
    if (RUNTIME === 'runsc') {
      // gVisor does not shield PID 1 from its own sandbox's SIGKILL as Linux does: it ends that sandbox, as TERM does. Only its own.
      await sh(engine, 'kill -s KILL 1; sleep 30').catch(() => undefined);
      await until('the engine to fail', async () => engine.status === 'failed');
      expect(await sh(neighbour, 'echo neighbour')).to.deep.equal({ code: 0, text: 'neighbour\n' });
      return;
    }
    const { text } = await sh(engine, 'for s in KILL STOP INT HUP QUIT SEGV USR1; do kill -s $s 1 2>&1; done; sleep 0.3; cat /proc/1/comm');
    expect(text).to.contain('code-sandbox-ag');
    expect(engine.status).to.equal('ready');
    await bothServe();
    // SIGTERM is docker stop's signal: PID 1 shuts its sandbox down, as a process may end its own sandbox. Only its own.
    const stopper = await engine.exec('sh', ['-c', 'kill -s TERM 1; sleep 30']);
    let printed = '';
    stopper.stream.subscribe((chunk) => (printed += chunk));
    expect(await stopper.exit).to.equal(137);
    expect(printed).to.contain('The sandbox stopped while the process ran');
    await until('the engine to fail', async () => engine.status === 'failed');
    expect(await sh(neighbour, 'echo neighbour')).to.deep.equal({ code: 0, text: 'neighbour\n' });
  });
});

describe('hostile sandbox: file API escapes', function () {
  this.timeout(90_000);
  let engine: LocalContainerEngine;

  before(async () => {
    engine = hostileEngine('files');
    await engine.boot();
    // What a hostile process prepares: links out of the workspace, and a secret outside it.
    const { code } = await sh(engine, [
      'mkdir -p /tmp/outside && echo secret > /tmp/outside/secret && echo keep > /tmp/outside/keep',
      'ln -s /tmp/outside /workspace/dirlink && ln -s /tmp/outside/secret /workspace/filelink',
      'ln -s loop1 /workspace/loop2 && ln -s loop2 /workspace/loop1 && mkfifo /workspace/fifo',
    ].join(' && '));
    expect(code).to.equal(0);
  });
  after(() => engine?.teardown());

  async function outside(): Promise<string> {
    return (await sh(engine, 'ls /tmp/outside; cat /tmp/outside/secret')).text;
  }

  it('refuses to read, list, write or delete through a symlink that leaves the workspace', async () => {
    for (const attempt of [
      () => engine.readFile('filelink'),
      () => engine.readFile('dirlink/secret'),
      () => engine.readdir('dirlink'),
      () => engine.writeFile('dirlink/planted', 'x'),
      () => engine.writeFile('dirlink/new/planted', 'x'),
      () => engine.mount({ dirlink: { directory: { planted: { file: { contents: 'x' } } } } }),
      () => engine.deleteFile('dirlink/keep'),
    ]) {
      const error = await rejectionOf(attempt);
      expect(error, String(attempt)).to.have.property('code', 'INVALID_PATH');
      expect(error.message).to.match(/outside the workspace/);
    }
    expect(await outside()).to.equal('keep\nsecret\nsecret\n');
    expect(await rejectionOf(() => engine.readFile('loop1'))).to.have.property('code', 'FILE_NOT_FOUND');
  });

  it('deletes a symlink itself, never what it points to', async () => {
    await sh(engine, 'ln -s /tmp/outside /workspace/doomed');
    await engine.deleteFile('doomed');
    expect((await engine.readdir('')).map((entry) => entry.name)).not.to.include('doomed');
    expect(await outside()).to.equal('keep\nsecret\nsecret\n');
  });

  it('replaces a symlink written over instead of writing through it', async () => {
    await sh(engine, 'ln -s /tmp/outside/keep /workspace/over');
    await engine.writeFile('over', 'mine');
    expect(await engine.readFile('over')).to.equal('mine');
    expect(await outside()).to.equal('keep\nsecret\nsecret\n');
  });

  it('refuses to mount symlinks that point outside, and keeps those that stay inside', async () => {
    for (const target of ['/tmp/outside', '../etc/passwd', 'a/../../..', '']) {
      const error = await rejectionOf(() => engine.mount({ evil: { file: { symlink: target } } }));
      expect(error, target).to.have.property('code', 'INVALID_PATH');
    }
    await engine.mount({ inner: { directory: { 'real.txt': { file: { contents: 'inside' } } } }, ok: { file: { symlink: 'inner/real.txt' } } });
    expect(await engine.readFile('ok')).to.equal('inside');
  });

  it('cannot hardlink a file from outside the workspace into it', async () => {
    const { text } = await sh(engine, 'ln /tmp/outside/secret /workspace/hard 2>&1; ln /etc/passwd /workspace/hard2 2>&1; ls /workspace');
    expect(text).to.match(/Invalid cross-device link/);
    expect(text).not.to.match(/^hard/m);
  });

  it('never reads a file outside the workspace while a symlink is swapped in and out', async () => {
    await engine.writeFile('race/secret', 'public');
    // Swaps race/ between a real folder and a link to /tmp/outside as fast as it can.
    const swapper = await engine.exec('sh', ['-c', 'cd /workspace; while :; do mv race real && ln -s /tmp/outside race; rm race; mv real race; done']);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const text = await engine.readFile('race/secret').catch((error: Error & { code?: string }) => error.code ?? error.message);
        seen.add(text.trim());
      }
      expect(seen).not.to.include('secret');
      for (const value of seen) expect(['public', 'INVALID_PATH', 'FILE_NOT_FOUND']).to.include(value);
    } finally {
      await swapper.kill('SIGKILL');
    }
  });

  it('never writes outside the workspace while a symlink is swapped in and out', async () => {
    await engine.writeFile('wrace/keep', 'inside');
    // Swaps wrace/ between a real folder and a link to /tmp/wout as fast as it can.
    const swapper = await engine.exec('sh', ['-c', 'mkdir -p /tmp/wout; cd /workspace; echo swapping; while :; do mv wrace wreal && ln -s /tmp/wout wrace; rm wrace; mv wreal wrace; done']);
    const outcomes = new Set<string>();
    try {
      await waitForText(swapper.stream, (text) => text.includes('swapping')); // the race is on before the writes start
      for (let i = 0; i < 30; i++) {
        const outcome = await engine.writeFile(`wrace/written-${i}`, 'from the API').then(() => 'written', (error: Error & { code?: string }) => error.code ?? error.message);
        outcomes.add(outcome);
      }
    } finally {
      await swapper.kill('SIGKILL');
    }
    for (const value of outcomes) expect(['written', 'INVALID_PATH', 'FILE_NOT_FOUND']).to.include(value);
    expect((await sh(engine, 'ls -A /tmp/wout | grep -c ^written- || true')).text.trim(), 'files the API wrote outside').to.equal('0');
  });

  it('refuses a pipe or device as a file, and a name that is not valid Unicode', async () => {
    const fifo = await rejectionOf(() => engine.readFile('fifo'));
    expect(fifo).to.have.property('code', 'INVALID_PATH');
    expect(fifo.message).to.contain('not a regular file');
    const lone = await rejectionOf(() => engine.writeFile('bad\uD800name.txt', 'x'));
    expect(lone).to.have.property('code', 'INVALID_PATH');
    expect(lone.message).to.contain('not valid Unicode');
    // A name a process made of invalid UTF-8 bytes is listed (with U+FFFD) and stays reachable by the sandbox only.
    await sh(engine, "printf 'x' > \"/workspace/$(printf 'inv\\377')\"");
    expect((await engine.readdir('')).map((entry) => entry.name)).to.include('inv\uFFFD');
    expect(await rejectionOf(() => engine.readFile('inv\uFFFD'))).to.have.property('code', 'FILE_NOT_FOUND');
  });
});

describe('hostile sandbox: network egress', function () {
  this.timeout(90_000);
  const docker = new Docker();
  let a: LocalContainerEngine;
  let b: LocalContainerEngine;

  before(async () => {
    await ensureSandboxNetwork(docker);
    a = hostileEngine('egress-a', { network: SANDBOX_NETWORK });
    b = hostileEngine('egress-b', { network: SANDBOX_NETWORK });
    await Promise.all([a.boot(), b.boot()]);
  });
  after(() => Promise.all([a?.teardown(), b?.teardown()]));

  it('cannot reach the orchestrator\'s port on any host address, nor the metadata service', async () => {
    // An orchestrator exposed on every address, as in production behind no proxy.
    const orchestrator = createOrchestrator({ log: () => undefined, owner: testOwner('hostile-exposed') });
    const port = Number(new URL(await orchestrator.listen(0, '0.0.0.0')).port);
    try {
      const gateway = (await docker.getNetwork(SANDBOX_NETWORK).inspect()).IPAM?.Config?.[0]?.Gateway as string;
      const hostAddresses = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address);
      const targets = [...new Set([gateway, ...hostAddresses])].map((address) => `${address}:${port}`);
      const results = await probe(a, [...targets, '169.254.169.254:80', '169.254.169.254:443'], 3000);
      for (const [target, result] of Object.entries(results)) expect(result, target).to.be.oneOf(['ECONNREFUSED', 'EHOSTUNREACH', 'TIMEOUT']);
    } finally {
      await orchestrator.close();
    }
  });

  it('cannot reach another sandbox directly', async () => {
    const listener = await b.exec('node', ['-e', 'require("http").createServer((q, s) => s.end("b")).listen(3000, () => console.log("up"))']);
    try {
      await new Promise<void>((resolve) => listener.stream.subscribe((text) => text.includes('up') && resolve()));
      const address = (await docker.getContainer(b.containerId!).inspect()).NetworkSettings.Networks[SANDBOX_NETWORK]!.IPAddress;
      const results = await probe(a, [`${address}:3000`], 2000);
      expect(results[`${address}:3000`]).to.be.oneOf(['TIMEOUT', 'ECONNREFUSED', 'EHOSTUNREACH']);
      expect((await probe(b, ['127.0.0.1:3000']))['127.0.0.1:3000']).to.equal('OPEN');
    } finally {
      await listener.kill('SIGKILL');
    }
  });

  it('still reaches the npm registry through the default route', async () => {
    const { code, text } = await sh(a, 'npm ping 2>&1');
    expect(code, text).to.equal(0);
    expect(text).to.contain('PONG');
  });
});
