/**
 * Engine benchmarks on the real Docker daemon: each figure is a median and p95
 * over repeated runs, next to a baseline measured in the same run.
 * Prints a table and writes bench/results/engine.json.
 *
 *   npm run bench            (CODE_SANDBOX_IMAGE, BENCH_RUNS to override)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { collectText, RemoteContainerEngine, type ContainerEngine, type ProcessHandle, type WebSocketConstructor } from '../src/index.js';
import { createOrchestrator, LocalContainerEngine } from '../src/server/index.js';

const run = promisify(execFile);
const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? 'code-sandbox/base:bookworm';
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

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function sample(runs: number, fn: () => Promise<number | void>): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const value = await fn();
    values.push(typeof value === 'number' ? value : performance.now() - started);
  }
  return values;
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

/** Waits until `text` shows up in the process's output; resolves with ms taken from `started`. */
function untilOutput(process: ProcessHandle, text: string, started: number): Promise<number> {
  return new Promise((resolve) => {
    let seen = '';
    const subscription = process.stream.subscribe((chunk) => {
      seen += chunk;
      if (seen.includes(text)) {
        resolve(performance.now() - started);
        queueMicrotask(() => subscription.unsubscribe());
      }
    });
  });
}

const FLOOD = (bytes: number) => `
  const line = 'x'.repeat(1023) + '\\n'; let left = ${bytes / 1024};
  (function pump() { while (left > 0) { left--; if (!process.stdout.write(line)) return process.stdout.once('drain', pump); } })();`;

async function throughput(engine: ContainerEngine, bytes: number): Promise<number> {
  const started = performance.now();
  const flood = await engine.exec('node', ['-e', FLOOD(bytes)]);
  let received = 0;
  flood.stdout.subscribe((chunk) => (received += chunk.length));
  await flood.exit;
  if (received !== bytes) throw new Error(`received ${received} of ${bytes} bytes`);
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
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

  // Remote engine over a real orchestrator.
  const orchestrator = createOrchestrator({ owner: 'bench', log: () => undefined, limits: { sessionsPerAddress: 1000, createsPerMinute: 100_000 } });
  const url = await orchestrator.listen(0);
  const remote = () => new RemoteContainerEngine({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  try {
    const firstOutput = await sample(Math.min(RUNS, 10), async () => {
      const engine = remote();
      const started = performance.now();
      await engine.boot();
      const echo = await engine.exec('echo', ['hi']);
      const took = await untilOutput(echo, 'hi', started);
      await engine.teardown();
      return took;
    });
    const dockerRun = await sample(Math.min(RUNS, 10), async () => {
      await run('docker', ['run', '--rm', IMAGE, 'echo', 'hi']);
    });
    record('session create to first output of `echo hi` (cold)', 'ms', firstOutput, 'docker run --rm echo hi (CLI)', dockerRun);

    const engine = remote();
    await engine.boot();
    const local2 = new LocalContainerEngine({ image: IMAGE, owner: 'bench' });
    await local2.boot();
    try {
      const remoteExec = await sample(RUNS, async () => {
        await (await engine.exec('true', [])).exit;
      });
      const localExec = await sample(RUNS, async () => {
        await (await local2.exec('true', [])).exit;
      });
      record('exec round trip over the socket', 'ms', remoteExec, 'same exec on the local engine', localExec);

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
      record('keystroke echo round trip through the pty', 'ms', await keystrokes(engine), 'same on the local engine (raw exec stream)', await keystrokes(local2));

      const bytes = 20 * 1024 * 1024;
      const remoteRate = await sample(3, () => throughput(engine, bytes));
      const localRate = await sample(3, () => throughput(local2, bytes));
      record('output throughput (20 MB)', 'MB/s', remoteRate, 'same on the local engine', localRate);
    } finally {
      await engine.teardown();
      await local2.teardown();
    }
  } finally {
    await orchestrator.close();
  }

  const table = [
    '| figure | median | p95 | baseline | baseline median | ratio |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.name} | ${row.median.toFixed(2)} ${row.unit} | ${row.p95.toFixed(2)} ${row.unit} | ${row.baseline} | ${row.baselineMedian.toFixed(2)} ${row.unit} | ${(row.median / row.baselineMedian).toFixed(2)}× |`),
  ].join('\n');
  console.log(table);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/engine.json', JSON.stringify({ date: new Date().toISOString(), image: IMAGE, runs: RUNS, rows }, null, 2));
  console.error('wrote bench/results/engine.json');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
