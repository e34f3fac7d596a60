/**
 * The orchestrator's HTTP app (fastify, with its front doors, CORS, origin
 * check and token check) against a bare `node:http` server answering the same
 * JSON with the same headers, in the same run and process: median latency of
 * one request on a kept-alive connection, requests per second with
 * CONCURRENCY requests in flight, for `GET /sessions/:id` (authorized, 200) and
 * an unknown route (404). Then the cold start of each (import + listen, in a
 * fresh node process, built with esbuild as dist/ is). Real Docker: one session, one container.
 * Prints a table; writes bench/results/http.json.
 *
 *   npx tsx bench/http.bench.ts     (BENCH_RUNS, BENCH_SECONDS, CODE_SANDBOX_IMAGE to override)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { createOrchestrator, DEFAULT_IMAGE } from '../src/server/index.js';

const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? DEFAULT_IMAGE;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 2000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const CONCURRENCY = 16;
const COLD_STARTS = Number(process.env['BENCH_COLD_STARTS'] ?? 7);
const ORIGIN = 'http://docs.example';

interface Target {
  url: string;
  headers: Record<string, string>;
  status: number;
}
interface Row {
  name: string;
  fastify: { medianMs: number; requestsPerSecond: number };
  bare: { medianMs: number; requestsPerSecond: number };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One request on the kept-alive agent; resolves once its body is read, checking the status. */
function send({ url, headers, status }: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      if (res.statusCode !== status) reject(new Error(`${url} answered ${res.statusCode}, not ${status}`));
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function latency(target: Target): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await send(target);
    values.push(performance.now() - started);
  }
  return median(values);
}

async function throughput(target: Target): Promise<number> {
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      await send(target);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return done / ((performance.now() - started) / 1000);
}

async function measure(target: Target) {
  return { medianMs: await latency(target), requestsPerSecond: await throughput(target) };
}

/** The baseline: the same JSON bodies and headers, routed by one `if`. */
async function bareServer(body: string): Promise<{ url: string; close: () => void }> {
  const notFound = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No route for GET /nope. The API is POST /sessions, GET|DELETE /sessions/:id, GET /healthz.' } });
  const server = createServer((req, res) => {
    const found = req.url === '/sessions/found';
    res.writeHead(found ? 200 : 404, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'access-control-allow-origin': req.headers.origin ?? '*',
      vary: 'Origin',
      'access-control-expose-headers': 'retry-after',
    });
    res.end(found ? body : notFound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Cold starts as the published server has them: plain node on built JavaScript (esbuild, packages left in node_modules). */
async function coldStart(which: 'fastify' | 'bare'): Promise<number> {
  // Inside node_modules, so the bundle's imports of fastify and ws resolve as the package's do.
  const script = 'node_modules/.cache/code-sandbox-bench/http-cold-start.mjs';
  await build({ entryPoints: ['bench/support/http-cold-start.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: script, logLevel: 'error' });
  const values: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, [script, which], { cwd: process.cwd() });
    values.push(Number(stdout.trim()));
  }
  return median(values);
}

async function main(): Promise<void> {
  const orchestrator = createOrchestrator({ owner: `bench-http-${process.pid}`, image: IMAGE, allowedOrigins: [ORIGIN], log: () => undefined });
  const url = await orchestrator.listen(0);
  const rows: Row[] = [];
  try {
    const created = await fetch(`${url}/sessions`, { method: 'POST', headers: { origin: ORIGIN } });
    const session = (await created.json()) as { id: string; token: string };
    const authorized = { origin: ORIGIN, authorization: `Bearer ${session.token}` };
    const found = await (await fetch(`${url}/sessions/${session.id}`, { headers: authorized })).text();
    const bare = await bareServer(found);
    try {
      const cases: [string, Target, Target][] = [
        ['GET /sessions/:id (authorized, 200)', { url: `${url}/sessions/${session.id}`, headers: authorized, status: 200 }, { url: `${bare.url}/sessions/found`, headers: authorized, status: 200 }],
        ['GET /nope (no route, 404)', { url: `${url}/nope`, headers: authorized, status: 404 }, { url: `${bare.url}/nope`, headers: authorized, status: 404 }],
      ];
      // Warm every path up first (the JIT settles after some thousands of requests), then measure.
      for (const [, fastifyTarget, bareTarget] of cases) for (const target of [fastifyTarget, bareTarget]) await throughput(target);
      for (const [name, fastifyTarget, bareTarget] of cases) {
        rows.push({ name, fastify: await measure(fastifyTarget), bare: await measure(bareTarget) });
      }
    } finally {
      bare.close();
    }
  } finally {
    agent.destroy();
    await orchestrator.close();
  }
  const cold = { fastifyMs: await coldStart('fastify'), bareMs: await coldStart('bare') };
  print(rows, cold);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/http.json', `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, seconds: SECONDS, concurrency: CONCURRENCY, rows, coldStart: cold }, null, 2)}\n`);
  console.error('wrote bench/results/http.json');
}

function print(rows: Row[], cold: { fastifyMs: number; bareMs: number }): void {
  const lines = [
    '| request | fastify median | bare node:http median | ratio | fastify req/s | bare req/s | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(({ name, fastify, bare }) =>
      `| ${name} | ${fastify.medianMs.toFixed(3)} ms | ${bare.medianMs.toFixed(3)} ms | ${(fastify.medianMs / bare.medianMs).toFixed(2)}× | ${Math.round(fastify.requestsPerSecond)} | ${Math.round(bare.requestsPerSecond)} | ${(fastify.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}× |`),
    `| cold start (import + listen) | ${cold.fastifyMs.toFixed(1)} ms | ${cold.bareMs.toFixed(1)} ms | ${(cold.fastifyMs / cold.bareMs).toFixed(2)}× | | | |`,
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
