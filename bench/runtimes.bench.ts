/**
 * runc against gVisor's runsc (issue 17), side by side on the real Docker daemon:
 * the main figures of the engine bench measured once per runtime in the same
 * run, runc being runsc's baseline. Medians (and p95) over repeated runs. Prints
 * a table and writes bench/results/runtimes.json. Without runsc registered with
 * the daemon (`npm run setup -- runsc`) it measures runc alone and says so.
 *
 *   npm run bench:runtimes     (CODE_SANDBOX_IMAGE, BENCH_RUNS, BENCH_IDLE to override)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { WebSocket } from 'ws';
import { RemoteContainerEngine, type WebSocketConstructor } from '../src/index.js';
import { createOrchestrator, DEFAULT_IMAGE, LocalContainerEngine } from '../src/server/index.js';
import { percentile, sample, throughput, untilOutput } from './support/engine-probes.js';

const run = promisify(execFile);
const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? DEFAULT_IMAGE;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const IDLE = Number(process.env['BENCH_IDLE'] ?? 10);
const OWNER = `bench-runtimes-${process.pid}`;

interface Figure {
  median: number;
  p95: number;
  runs: number;
}
/** One row: a figure per runtime. */
interface Row {
  name: string;
  unit: string;
  /** Whether a larger value is better (throughput). */
  higherIsBetter?: boolean;
  byRuntime: Record<string, Figure>;
}

const rows: Row[] = [];

function record(runtime: string, name: string, unit: string, values: number[], higherIsBetter = false): void {
  let row = rows.find((candidate) => candidate.name === name);
  if (!row) rows.push((row = { name, unit, higherIsBetter, byRuntime: {} }));
  row.byRuntime[runtime] = { median: percentile(values, 50), p95: percentile(values, 95), runs: values.length };
  console.error(`  ${runtime}: ${name}: ${percentile(values, 50).toFixed(2)} ${unit}`);
}

/** Median memory of the running containers of an owner, from their cgroups (docker stats; gVisor's sentry and gofer included). */
async function containerMemory(owner: string): Promise<number> {
  const ids = (await run('docker', ['ps', '-q', '--filter', `label=dev.code-sandbox.owner=${owner}`])).stdout.split('\n').filter(Boolean);
  const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids]);
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1000, MB: 1e6, GB: 1e9 };
  return percentile(stdout.split('\n').filter(Boolean).map((line) => {
    const [, value, unit] = /^([\d.]+)(\w+)/.exec(line.trim()) ?? [];
    return Number(value) * (units[unit ?? 'B'] ?? 1);
  }), 50) / 1024 / 1024;
}

const engineFor = (runtime: string) => new LocalContainerEngine({ image: IMAGE, owner: OWNER, runtime });

/** Session create to the first output of `echo hi` through a real orchestrator (in this process), with `pool` warm containers. */
async function sessionToOutput(runtime: string, pool: number, runs: number): Promise<number[]> {
  const orchestrator = createOrchestrator({ runtime, pool, owner: `${OWNER}-${runtime}-${pool}`, log: () => undefined });
  const url = await orchestrator.listen(0);
  const warm = async () => ((await (await fetch(`${url}/healthz`)).json()) as { warm: number }).warm;
  try {
    return await sample(runs, async () => {
      while (pool && (await warm()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      const engine = new RemoteContainerEngine({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
      const started = performance.now();
      await engine.boot();
      const took = await untilOutput(await engine.exec('echo', ['hi']), 'hi', started);
      await engine.teardown();
      return took;
    });
  } finally {
    await orchestrator.close();
  }
}

async function measure(runtime: string): Promise<void> {
  console.error(`${runtime}:`);
  record(runtime, 'boot (create + start + agent ready)', 'ms', await sample(Math.min(RUNS, 10), async () => {
    const engine = engineFor(runtime);
    const started = performance.now();
    await engine.boot();
    const took = performance.now() - started;
    await engine.teardown();
    return took;
  }));
  record(runtime, 'session create to first output, warm (pool)', 'ms', await sessionToOutput(runtime, 1, RUNS));
  record(runtime, 'session create to first output, cold (no pool)', 'ms', await sessionToOutput(runtime, 0, Math.min(RUNS, 10)));

  const engine = engineFor(runtime);
  await engine.boot();
  try {
    record(runtime, 'exec round trip (`true`)', 'ms', await sample(RUNS, async () => void (await (await engine.exec('true', [])).exit)));
    record(runtime, 'Node.js start (`node -e 0`)', 'ms', await sample(Math.min(RUNS, 10), async () => void (await (await engine.exec('node', ['-e', '0'])).exit)));
    record(runtime, 'file write (1 KiB)', 'ms', await sample(RUNS, () => engine.writeFile('bench.txt', 'x'.repeat(1024))));
    record(runtime, 'output throughput (50 MB)', 'MB/s', await sample(3, () => throughput(engine, 50 * 1024 * 1024)), true);
  } finally {
    await engine.teardown();
  }

  const idle = Array.from({ length: IDLE }, () => engineFor(runtime));
  try {
    for (const sandbox of idle) await sandbox.boot();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    record(runtime, `memory per idle sandbox (median of ${IDLE}, cgroup)`, 'MiB', [await containerMemory(OWNER)]);
  } finally {
    await Promise.all(idle.map((sandbox) => sandbox.teardown()));
  }
}

async function main(): Promise<void> {
  const registered = Object.keys(((await new Docker().info()) as { Runtimes?: object }).Runtimes ?? {});
  const runtimes = ['runc', ...(registered.includes('runsc') ? ['runsc'] : [])];
  if (runtimes.length === 1) console.error('runsc is not registered with Docker (npm run setup -- runsc): measuring runc alone');
  console.error(`Benchmarking ${runtimes.join(' and ')} on ${IMAGE}, ${RUNS} runs per figure`);
  for (const runtime of runtimes) await measure(runtime);

  const cell = (figure: Figure | undefined, unit: string) => (figure ? `${figure.median.toFixed(figure.median < 10 ? 2 : 0)} ${unit} (p95 ${figure.p95.toFixed(figure.p95 < 10 ? 2 : 0)})` : '–');
  const table = [
    `| figure | ${runtimes.join(' | ')} | ${runtimes[1] ? 'runsc / runc' : ''} |`,
    `| --- | ${runtimes.map(() => '---').join(' | ')} | --- |`,
    ...rows.map((row) => {
      const [runc, runsc] = runtimes.map((runtime) => row.byRuntime[runtime]);
      const ratio = runc && runsc ? `${(runsc.median / runc.median).toFixed(2)}×${row.higherIsBetter ? ' (higher is better)' : ''}` : '';
      return `| ${row.name} | ${runtimes.map((runtime) => cell(row.byRuntime[runtime], row.unit)).join(' | ')} | ${ratio} |`;
    }),
  ].join('\n');
  console.log(table);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/runtimes.json', JSON.stringify({ date: new Date().toISOString(), image: IMAGE, runs: RUNS, runtimes, rows }, null, 2));
  console.error('wrote bench/results/runtimes.json');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
