/**
 * The orchestrator's HTTP side on the real Docker daemon: what its HTTP layer
 * (routing, CORS, body parsing, rate limiting, the WebSocket upgrade, the
 * preview proxy) adds to a request. Medians and p95 over BENCH_RUNS runs; the
 * baseline of the HTTP rows is a bare `node:http` server answering the same
 * JSON in the same process, measured in the same run. Writes
 * bench/results/orchestrator-http.json.
 *
 *   npx tsx bench/orchestrator-http.bench.ts     (BENCH_RUNS, CODE_SANDBOX_IMAGE to override)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { RemoteContainerEngine, type WebSocketConstructor } from '../src/index.js';
import { createOrchestrator, DEFAULT_IMAGE } from '../src/server/index.js';
import { percentile } from './support/engine-probes.js';

const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? DEFAULT_IMAGE;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 200);
const rows: { name: string; median: number; p95: number; baseline: string; baselineMedian: number }[] = [];

/** Times `fn` `runs` times (or takes the time it measured itself, with `measured`). */
async function sample(runs: number, fn: () => Promise<unknown>, measured = false): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const value = await fn();
    values.push(measured ? (value as number) : performance.now() - started);
  }
  return values;
}

function record(name: string, values: number[], baseline: string, baselineValues: number[]): void {
  const row = { name, median: percentile(values, 50), p95: percentile(values, 95), baseline, baselineMedian: percentile(baselineValues, 50) };
  rows.push(row);
  console.error(`  ${name}: ${row.median.toFixed(3)} ms (p95 ${row.p95.toFixed(3)}; baseline ${row.baselineMedian.toFixed(3)} ms)`);
}

/** One HTTP request over a fresh connection (as a page's fetch of a new origin does), resolving once its body is read. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function createSession(url: string): Promise<{ id: string; token: string; websocketUrl: string }> {
  const response = await fetch(`${url}/sessions`, { method: 'POST', headers: { origin: 'http://docs.example' } });
  if (response.status !== 201) throw new Error(`POST /sessions answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string; token: string; websocketUrl: string };
}

async function until(probe: () => Promise<boolean>, timeout = 60_000): Promise<void> {
  for (const started = Date.now(); !(await probe()); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() - started > timeout) throw new Error('timed out');
  }
}

async function bareServer(): Promise<{ url: string; close: () => void }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': req.headers.origin ?? '*' });
    res.end(JSON.stringify({ id: 'x', status: 'running', connected: true, createdAt: 0, expiresAt: 0 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function main(): Promise<void> {
  const owner = `bench-http-${process.pid}`;
  const orchestrator = createOrchestrator({ owner, pool: 1, allowedOrigins: ['http://docs.example'], log: () => undefined, limits: { sessionsPerAddress: 500, createsPerMinute: 100_000, originSessions: 500, originSessionsPerHour: 1_000_000 } });
  const url = await orchestrator.listen(0);
  const bare = await bareServer();
  const engine = new RemoteContainerEngine({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  try {
    await engine.boot();
    const origin = { origin: 'http://docs.example' };
    const created = await createSession(url);
    const bareValues = await sample(RUNS, () => get(`${bare.url}/`, origin));
    record('GET /sessions/:id (routing, CORS, token check, JSON)', await sample(RUNS, () => get(`${url}/sessions/${created.id}`, { ...origin, authorization: `Bearer ${created.token}` })), 'bare node:http JSON answer', bareValues);
    record('OPTIONS /sessions (CORS preflight)', await sample(RUNS, () => get(`${url}/sessions`, { ...origin, 'access-control-request-method': 'POST' }, 'OPTIONS')), 'bare node:http JSON answer', bareValues);
    record('unknown route (404 JSON error)', await sample(RUNS, () => get(`${url}/nope`, origin)), 'bare node:http JSON answer', bareValues);

    const upgrades = await sample(Math.min(RUNS, 50), async () => {
      const socket = new WebSocket(`${created.websocketUrl}?token=${created.token}`, origin);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.close();
      await new Promise((resolve) => socket.once('close', resolve));
    });
    record('WebSocket upgrade to open (and close)', upgrades, 'bare node:http JSON answer', bareValues);

    const creates = await sample(Math.min(RUNS, 10), async () => {
      await until(async () => ((await (await fetch(`${url}/healthz`)).json()) as { warm: number }).warm > 0);
      const started = performance.now();
      const session = await createSession(url);
      const took = performance.now() - started;
      await fetch(`${url}/sessions/${session.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${session.token}` } });
      return took;
    }, true);
    record('POST /sessions, warm (pool claims a booted container)', creates, 'bare node:http JSON answer', bareValues);

    const execValues = await sample(Math.min(RUNS, 50), async () => (await engine.exec('true', [])).exit);
    record('exec round trip over the socket', execValues, 'bare node:http JSON answer', bareValues);

    await engine.mount({ 'server.js': { file: { contents: "require('http').createServer((q, s) => s.end('ok')).listen(3000)" } } });
    const server = await engine.startDevServer({ command: 'node server.js' });
    const previewHost = new URL(server.url).host;
    record('preview GET through the proxy and the agent', await sample(RUNS, () => get(`${url}/`, { host: previewHost })), 'bare node:http JSON answer', bareValues);
    await server.process.kill();
  } finally {
    await engine.teardown();
    await orchestrator.close();
    bare.close();
  }
  const table = [
    '| figure | median | p95 | baseline | baseline median |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.name} | ${row.median.toFixed(3)} ms | ${row.p95.toFixed(3)} ms | ${row.baseline} | ${row.baselineMedian.toFixed(3)} ms |`),
  ].join('\n');
  console.log(table);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/orchestrator-http.json', JSON.stringify({ date: new Date().toISOString(), image: IMAGE, runs: RUNS, rows }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
