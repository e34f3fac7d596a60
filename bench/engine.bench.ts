/**
 * Engine benchmarks on the real Docker daemon: each figure is a median and p95
 * over repeated runs, next to a baseline measured in the same run.
 * Prints a table and writes bench/results/engine.json.
 *
 *   npm run bench     (CODE_SANDBOX_IMAGE, BENCH_RUNS, BENCH_SESSIONS to override)
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { collectText, RemoteContainerEngine, type ContainerEngine, type WebSocketConstructor } from '../src/index.js';
import { DEFAULT_IMAGE, LocalContainerEngine } from '../src/server/index.js';
import { FLOOD, percentile, sample, throughput, untilOutput } from './support/engine-probes.js';

const run = promisify(execFile);
const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? DEFAULT_IMAGE;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);

interface Row {
  name: string;
  unit: string;
  median: number;
  p95: number;
  runs: number;
  baseline: string;
  baselineMedian: number;
  baselineP95: number;
}

const rows: Row[] = [];
const notes: string[] = [];
const DENSITY = Number(process.env['BENCH_SESSIONS'] ?? 50);
let density: object | undefined;

/** The built CLI in a child process (so its memory is its own, as in production), on a free port. */
async function startServer(owner: string, args: string[]): Promise<{ url: string; pid: number; cacheDir: string | undefined; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['dist/cli.js', '--port', '0', '--owner', owner, '--max-sessions', '500', '--max-sessions-per-address', '500', '--creates-per-minute', '100000',
    '--dependency-cache', 'off', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } });
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  await until(async () => /listening on http/.test(printed), 30_000);
  const cacheAt = args.indexOf('--dependency-cache');
  return {
    url: /listening on (http:\/\/\S+)/.exec(printed)![1]!,
    pid: child.pid!,
    cacheDir: cacheAt >= 0 ? args[cacheAt + 1] : undefined,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function health(url: string): Promise<{ ok: boolean; warm: number }> {
  return (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean; warm: number };
}

async function until(probe: () => Promise<boolean>, timeout = 60_000): Promise<void> {
  for (const started = Date.now(); !(await probe()); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() - started > timeout) throw new Error('timed out');
  }
}

function status(pid: number, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}
const rss = (pid: number) => status(pid, 'VmRSS');
const peakRss = (pid: number) => status(pid, 'VmHWM');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Median memory use of the running containers of an owner, from the cgroup (docker stats). */
async function containerMemory(owner: string): Promise<number> {
  const ids = (await run('docker', ['ps', '-q', '--filter', `label=dev.code-sandbox.owner=${owner}`])).stdout.split('\n').filter(Boolean);
  const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids]);
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1000, MB: 1e6, GB: 1e9 };
  const values = stdout.split('\n').filter(Boolean).map((line) => {
    const [, value, unit] = /^([\d.]+)(\w+)/.exec(line.trim()) ?? [];
    return Number(value) * (units[unit ?? 'B'] ?? 1);
  });
  return percentile(values, 50);
}

/** Median resident memory of the sandbox agents (each container's PID 1) of an owner. */
async function agentRss(owner: string): Promise<number> {
  const ids = (await run('docker', ['ps', '-q', '--filter', `label=dev.code-sandbox.owner=${owner}`])).stdout.split('\n').filter(Boolean);
  const { stdout } = await run('docker', ['inspect', '--format', '{{.State.Pid}}', ...ids]);
  return percentile(stdout.split('\n').filter(Boolean).map((pid) => rss(Number(pid))), 50);
}

function record(name: string, unit: string, values: number[], baseline: string, baselineValues: number[]): void {
  rows.push({
    name,
    unit,
    median: percentile(values, 50),
    p95: percentile(values, 95),
    runs: values.length,
    baseline,
    baselineMedian: percentile(baselineValues, 50),
    baselineP95: percentile(baselineValues, 95),
  });
  const row = rows.at(-1)!;
  console.error(`  ${name}: ${row.median.toFixed(2)} ${unit} (baseline ${row.baselineMedian.toFixed(2)} ${unit})`);
}

async function main(): Promise<void> {
  console.error('Building dist/ (the server runs from the build, as users run it)');
  await run('npx', ['rollup', '-c', '--silent']);
  console.error(`Benchmarking on ${IMAGE}, ${RUNS} runs per figure`);

  // Local engine: boot, exec round trip, 10 MB relay.
  const bootValues = await sample(Math.min(RUNS, 10), async () => {
    const engine = new LocalContainerEngine({ image: IMAGE, owner: 'bench' });
    const started = performance.now();
    await engine.boot();
    const took = performance.now() - started;
    await engine.teardown();
    return took;
  });
  const cliBoot = await sample(Math.min(RUNS, 10), async () => {
    const { stdout } = await run('docker', ['create', '--label', 'dev.code-sandbox.owner=bench', IMAGE, 'sleep', 'infinity']);
    const started = performance.now();
    await run('docker', ['start', stdout.trim()]);
    const took = performance.now() - started;
    await run('docker', ['rm', '-f', stdout.trim()]);
    return took;
  });
  record('local boot (create + start, hardened)', 'ms', bootValues, 'docker start (CLI, create excluded)', cliBoot);

  const local = new LocalContainerEngine({ image: IMAGE, owner: 'bench' });
  await local.boot();
  try {
    const execValues = await sample(RUNS, async () => {
      const process = await local.exec('true', []);
      await process.exit;
    });
    const cliExec = await sample(RUNS, async () => {
      await run('docker', ['exec', local.containerId!, 'true']);
    });
    record('local exec round trip', 'ms', execValues, 'docker exec (CLI)', cliExec);

    const writes = await sample(RUNS, () => local.writeFile('bench.txt', 'x'.repeat(1024)));
    const cliWrites = await sample(RUNS, async () => {
      await run('docker', ['exec', local.containerId!, 'sh', '-c', 'printf %1024s > /workspace/bench.txt']);
    });
    record('local file write (1 KiB)', 'ms', writes, 'docker exec sh -c "printf > file" (CLI)', cliWrites);

    const tree = Object.fromEntries(Array.from({ length: 20 }, (_, d) => [`dir${d}`, {
      directory: Object.fromEntries(Array.from({ length: 10 }, (_, f) => [`file${f}.js`, { file: { contents: `export const n = ${d * 10 + f};\n`.repeat(20) } }])),
    }]));
    const mounts = await sample(Math.min(RUNS, 10), () => local.mount(tree));
    const staged = await mkdtemp(join(tmpdir(), 'bench-tree-'));
    for (const [dir, { directory }] of Object.entries(tree)) {
      mkdirSync(join(staged, dir));
      for (const [name, { file }] of Object.entries(directory)) writeFileSync(join(staged, dir, name), file.contents);
    }
    const cliMounts = await sample(Math.min(RUNS, 10), async () => {
      await run('sh', ['-c', `tar -C ${staged} -c . | docker exec -i ${local.containerId!} tar -x -C /workspace`]);
    });
    record('local mount of a 200-file tree', 'ms', mounts, 'tar | docker exec -i tar -x (CLI)', cliMounts);

    const tenMb = 10 * 1024 * 1024;
    const relay = await sample(5, async () => {
      const flood = await local.exec('node', ['-e', FLOOD(tenMb)]);
      const text = collectText(flood.stdout);
      await flood.exit;
      if ((await text).length !== tenMb) throw new Error('lost output');
    });
    const cliRelay = await sample(5, async () => {
      await run('docker', ['exec', local.containerId!, 'node', '-e', FLOOD(tenMb)], { maxBuffer: 64 * 1024 * 1024 });
    });
    record('local 10 MB output relay', 'ms', relay, 'docker exec (CLI) to a buffer', cliRelay);
  } finally {
    await local.teardown();
  }

  // Remote engine over a real orchestrator, in its own process so its memory can be read.
  const server = await startServer('bench-cli', ['--pool', '2', '--dependency-cache', await mkdtemp(join(tmpdir(), 'bench-deps-'))]);
  const remote = () => new RemoteContainerEngine({ url: server.url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  try {
    const dockerRun = await sample(Math.min(RUNS, 10), async () => {
      await run('docker', ['run', '--rm', '--label', 'dev.code-sandbox.owner=bench', IMAGE, 'echo', 'hi']);
    });
    const firstOutput = async (): Promise<number> => {
      const engine = remote();
      const started = performance.now();
      await engine.boot();
      const echo = await engine.exec('echo', ['hi']);
      const took = await untilOutput(echo, 'hi', started);
      await engine.teardown();
      return took;
    };
    // Warm: the pool has a container ready (it refills between runs).
    const warm = await sample(RUNS, async () => {
      await until(async () => (await health(server.url)).warm > 0);
      return firstOutput();
    });
    record('session create to first output of `echo hi`, warm (pool)', 'ms', warm, 'docker run --rm echo hi (CLI)', dockerRun);
    const coldServer = await startServer('bench-cli-cold', ['--pool', '0']);
    try {
      const cold = await sample(Math.min(RUNS, 10), async () => {
        const engine = new RemoteContainerEngine({ url: coldServer.url, WebSocket: WebSocket as unknown as WebSocketConstructor });
        const started = performance.now();
        await engine.boot();
        const took = await untilOutput(await engine.exec('echo', ['hi']), 'hi', started);
        await engine.teardown();
        return took;
      });
      record('session create to first output of `echo hi`, cold (no pool)', 'ms', cold, 'docker run --rm echo hi (CLI)', dockerRun);
    } finally {
      await coldServer.stop();
    }

    const engine = remote();
    await engine.boot();
    const local2 = new LocalContainerEngine({ image: IMAGE, owner: 'bench' });
    await local2.boot();
    try {
      const remoteExec = await sample(RUNS, async () => {
        await (await engine.exec('true', [])).exit;
      });
      const cliExec = await sample(RUNS, async () => {
        await run('docker', ['exec', local2.containerId!, 'true']);
      });
      record('exec round trip over the socket', 'ms', remoteExec, 'docker exec (CLI)', cliExec);

      const keystrokes = async (target: ContainerEngine) => {
        const shell = await target.exec('cat', [], { terminal: { cols: 80, rows: 24 } });
        const values = await sample(RUNS * 2, async () => {
          const marker = `k${Math.random().toString(36).slice(2, 7)}`;
          const started = performance.now();
          const seen = untilOutput(shell, marker, started);
          await shell.write(marker);
          return seen;
        });
        await shell.kill('SIGKILL');
        return values;
      };
      record('keystroke echo round trip (WebSocket, pty and back)', 'ms', await keystrokes(engine), 'same pty on the raw exec stream (local engine)', await keystrokes(local2));

      const bytes = 50 * 1024 * 1024;
      const before = rss(server.pid);
      const remoteRate = await sample(3, () => throughput(engine, bytes));
      const peak = peakRss(server.pid);
      const localRate = await sample(3, () => throughput(local2, bytes));
      record('output throughput, 50 MB through the terminal path', 'MB/s', remoteRate, 'same on the raw exec stream (local engine)', localRate);
      notes.push(`orchestrator RSS ${mb(before)} before the 50 MB floods, peak ${mb(peak)} (limit per client: 1 MiB unacknowledged output)`);

      // npm install of a small Express app, first and second time (the second from the dependency cache).
      const express = { 'package.json': { file: { contents: JSON.stringify({ name: 'express-app', private: true, dependencies: { express: '4.21.2' } }) } } };
      const install = async () => {
        const session = remote();
        await session.boot();
        await session.mount(express);
        const started = performance.now();
        const code = await session.installDependencies();
        const took = performance.now() - started;
        await session.teardown();
        if (code !== 0) throw new Error(`npm install exited with ${code}`);
        return took;
      };
      const first = [await install()];
      await until(async () => (await health(server.url)).ok && (await readdir(server.cacheDir!).catch(() => [])).some((name) => name.endsWith('.tar')), 180_000);
      const second = await sample(5, install);
      record('npm install of a small Express app, second time (dependency cache)', 'ms', second, 'first time (npm install, no cache)', first);
    } finally {
      await engine.teardown();
      await local2.teardown();
    }
  } finally {
    await server.stop();
  }

  // Density: idle sessions on a fresh server (no pool, nothing run before), its memory and each container's.
  const dense = await startServer('bench-density', ['--pool', '0']);
  try {
    const idle: RemoteContainerEngine[] = [];
    const baseRss = rss(dense.pid);
    for (let i = 0; i < DENSITY; i++) {
      const session = new RemoteContainerEngine({ url: dense.url, WebSocket: WebSocket as unknown as WebSocketConstructor });
      await session.boot();
      idle.push(session);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const denseRss = rss(dense.pid);
    const perContainer = await containerMemory('bench-density');
    const agents = await agentRss('bench-density');
    notes.push(`${DENSITY} idle sessions: orchestrator RSS ${mb(denseRss)} (${mb(baseRss)} with none), ${mb((denseRss - baseRss) / DENSITY)} per session in the orchestrator, median container memory ${mb(perContainer)}, of which the agent (PID 1) ${mb(agents)}`);
    density = { sessions: DENSITY, orchestratorRss: denseRss, orchestratorRssIdle: baseRss, containerMedian: perContainer };
    await Promise.all(idle.map((session) => session.teardown()));
  } finally {
    await dense.stop();
  }

  const table = [
    '| figure | median | p95 | baseline | baseline median | ratio |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.name} | ${row.median.toFixed(2)} ${row.unit} | ${row.p95.toFixed(2)} ${row.unit} | ${row.baseline} | ${row.baselineMedian.toFixed(2)} ${row.unit} | ${(row.median / row.baselineMedian).toFixed(2)}× |`),
  ].join('\n');
  console.log(table);
  for (const note of notes) console.log(`- ${note}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/engine.json', JSON.stringify({ date: new Date().toISOString(), image: IMAGE, runs: RUNS, rows, density, notes }, null, 2));
  console.error('wrote bench/results/engine.json');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
