/**
 * What `registries` egress (installs through the server's forward proxy) costs
 * against `all` (the sandbox's own route out), on the real Docker daemon and the
 * real npm registry, in the same run: `npm install` of a one-file package and of
 * express (about 70 packages), each in a fresh sandbox with an empty npm cache,
 * alternating the modes so the registry's own variance falls on both. Medians
 * (and p95); `all` is the baseline of the ratio. Prints a table and writes
 * bench/results/egress.json. Needs root (both networks' firewalls).
 *
 *   npm run bench:egress     (BENCH_RUNS to override)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { RemoteContainerEngine, type WebSocketConstructor } from '../src/index.js';
import { createOrchestrator, type EgressMode } from '../src/server/index.js';
import { percentile } from './support/engine-probes.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const MODES = ['all', 'registries'] as const satisfies readonly EgressMode[];
type Mode = (typeof MODES)[number];
const INSTALLS = { 'is-number@7.0.0 (1 package)': 'is-number@7.0.0', 'express@4.21.2 (~70 packages)': 'express@4.21.2' };

/** The ms `npm install <spec>` takes in a fresh sandbox of the server at `url`. */
async function install(url: string, spec: string): Promise<number> {
  const engine = new RemoteContainerEngine({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  await engine.boot();
  try {
    const started = performance.now();
    const npm = await engine.exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-online', spec], { cwd: '/workspace' });
    let output = '';
    npm.stream.subscribe((chunk) => (output += chunk));
    const code = await npm.exit;
    if (code !== 0) throw new Error(`npm install ${spec} exited ${code}:\n${output.slice(-600)}`);
    return performance.now() - started;
  } finally {
    await engine.teardown();
  }
}

async function main(): Promise<void> {
  const servers = Object.fromEntries(await Promise.all(MODES.map(async (egress) => {
    const orchestrator = createOrchestrator({ egress, owner: `bench-egress-${egress}-${process.pid}`, log: () => undefined });
    return [egress, { orchestrator, url: await orchestrator.listen(0) }] as const;
  })));
  const samples: Record<string, Record<Mode, number[]>> = {};
  try {
    console.error(`npm install through each egress mode, ${RUNS} runs each, alternating`);
    for (const [name, spec] of Object.entries(INSTALLS)) {
      const row: Record<Mode, number[]> = (samples[name] = { all: [], registries: [] });
      for (let i = 0; i < RUNS; i++) {
        for (const mode of MODES) {
          row[mode].push(await install(servers[mode]!.url, spec));
          console.error(`  ${name}, ${mode}: ${(row[mode].at(-1)! / 1000).toFixed(2)} s`);
        }
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map(({ orchestrator }) => orchestrator.close()));
  }
  const seconds = (values: number[], p: number) => (percentile(values, p) / 1000).toFixed(2);
  const table = [
    '| npm install | all (direct), median (p95) | registries (proxy), median (p95) | registries / all |',
    '| --- | --- | --- | --- |',
    ...Object.entries(samples).map(([name, row]) =>
      `| ${name} | ${seconds(row.all, 50)} s (${seconds(row.all, 95)}) | ${seconds(row.registries, 50)} s (${seconds(row.registries, 95)}) | ${(percentile(row.registries, 50) / percentile(row.all, 50)).toFixed(2)}× |`),
  ].join('\n');
  console.log(table);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/egress.json', JSON.stringify({ date: new Date().toISOString(), runs: RUNS, samples }, null, 2));
  console.error('wrote bench/results/egress.json');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
