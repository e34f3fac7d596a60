/**
 * One cold start of an HTTP server, for bench/http.bench.ts: import its code
 * and listen on a free port, then print the milliseconds that took and exit.
 *
 *   npx tsx bench/support/http-cold-start.ts fastify|bare
 */
import type { AddressInfo } from 'node:net';

const started = performance.now();

async function fastifyApp(): Promise<void> {
  const { createHttpApp } = await import('../../src/server/orchestrator/http-app.js');
  const { DEFAULTS } = await import('../../src/server/orchestrator/defaults.js');
  const { TokenSigner } = await import('../../src/server/orchestrator/tokens.js');
  // The HTTP layer only: the options it reads, and a registry with no session (the engines' code stays unloaded).
  const config = { allowedOrigins: [], apiKeys: [], requireApiKey: false, limits: DEFAULTS.limits, log: () => undefined };
  const registry = { sessions: new Map(), closing: false };
  const signer = new TokenSigner('cold start', DEFAULTS.tokenTtl);
  type Context = Parameters<typeof createHttpApp>[0];
  const context = { config, registry, signer, health: async () => ({ docker: 'up' }), publicUrl: () => '' } as unknown as Context;
  const app = createHttpApp(context, []);
  await app.listen(0, '127.0.0.1');
  await app.close();
}

async function bare(): Promise<void> {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  void (server.address() as AddressInfo).port;
  server.close();
}

const listened = await (process.argv[2] === 'fastify' ? fastifyApp() : bare()).then(() => performance.now());
process.stdout.write(`${(listened - started).toFixed(3)}\n`);
