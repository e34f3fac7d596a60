/**
 * The fleet (issue 18): BENCH_SESSIONS sessions (default 200) created through
 * nginx in front of three servers, each on its own dockerd in a network
 * namespace (the rig of test/hostile/fleet-nginx.test.ts), against the same
 * number on one server alone, measured in the same run: p50/p95 of create →
 * first output (POST /sessions, the WebSocket, an exec, its first byte), with
 * BENCH_CONCURRENCY readers at once (default 10). Then what a hop to the
 * owning server adds to a request (GET /sessions/:id at the owner vs at a
 * peer). Prints a table; writes bench/results/fleet.json. Needs root, nginx
 * (npm run setup -- fleet) and code-sandbox/minimal:trixie.
 *
 *   npx tsx bench/fleet.bench.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { RemoteContainerEngine, type WebSocketConstructor } from '../src/index.js';
import { startFleetRig } from '../test/hostile/fleet-rig.js';
import { percentile } from './support/engine-probes.js';

const SESSIONS = Number(process.env['BENCH_SESSIONS'] ?? 200);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 10);
const HOPS = Number(process.env['BENCH_RUNS'] ?? 200);
const IMAGE = 'code-sandbox/minimal:trixie';

interface Row {
  name: string;
  n: number;
  p50: number;
  p95: number;
  failed?: number;
}
const rows: Row[] = [];

function record(name: string, values: number[], failed = 0): void {
  const row = { name, n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), ...(failed && { failed }) };
  rows.push(row);
  console.error(`  ${name}: p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms (n ${row.n}${failed ? `, ${failed} failed` : ''})`);
}

/** One reader: create a session at `url`, run `echo`, time to its first output; then end it. */
async function createToFirstOutput(url: string): Promise<number> {
  const engine = new RemoteContainerEngine({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  const started = performance.now();
  try {
    await engine.boot();
    const process = await engine.exec('echo', ['ready']);
    await firstValueFrom(process.stream);
    return performance.now() - started;
  } finally {
    await engine.teardown();
  }
}

async function createMany(name: string, url: string): Promise<void> {
  const times: number[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < SESSIONS) {
      next++;
      await createToFirstOutput(url).then((ms) => times.push(ms), (error: Error) => {
        failed++;
        console.error(`    failed: ${error.message}`);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  record(name, times, failed);
}

async function hopOverhead(owner: string, peer: string, lb: string): Promise<void> {
  const created = (await (await fetch(`${owner}/sessions`, { method: 'POST' })).json()) as { id: string; token: string };
  const headers = { authorization: `Bearer ${created.token}` };
  for (const [name, base] of [['GET /sessions/:id at its owner', owner], ['GET /sessions/:id at a peer (one hop)', peer], ['GET /sessions/:id through nginx', lb]] as const) {
    const times: number[] = [];
    for (let i = 0; i < HOPS; i++) {
      const started = performance.now();
      const response = await fetch(`${base}/sessions/${created.id}`, { headers });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${name} answered ${response.status}`);
      times.push(performance.now() - started);
    }
    record(name, times);
  }
  await fetch(`${owner}/sessions/${created.id}`, { method: 'DELETE', headers });
}

async function main(): Promise<void> {
  const rig = await startFleetRig({ count: 3, image: IMAGE, args: ['--max-sessions-per-address', '1000', '--creates-per-minute', '100000'], log: (line) => console.error(`  ${line}`) });
  try {
    await createMany(`create → first output, ${SESSIONS} sessions through nginx to 3 servers`, rig.lb);
    const [first, second] = rig.servers as [NonNullable<(typeof rig.servers)[0]>, NonNullable<(typeof rig.servers)[0]>];
    await hopOverhead(first.url, second.url, rig.lb);
    // The baseline: the first server alone (no peers), on the same daemon, the readers straight at it.
    await Promise.all(rig.servers.map((server) => server.stop()));
    const alone = await rig.startServer(0, { alone: true });
    await createMany(`create → first output, ${SESSIONS} sessions on one server alone`, alone.url);
  } finally {
    await rig.close();
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/fleet.json', `${JSON.stringify({ date: new Date().toISOString(), sessions: SESSIONS, concurrency: CONCURRENCY, rows }, null, 2)}\n`);
  console.log('\n| measure | n | p50 (ms) | p95 (ms) |\n| --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.name}${row.failed ? ` (${row.failed} failed)` : ''} | ${row.n} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`);
}

await main();
