/**
 * The orchestrator: an HTTP API to create sessions, one WebSocket per session
 * speaking the protocol, and preview routing by Host header. Each session owns
 * one LocalContainerEngine. `createOrchestrator` wires the parts together and
 * owns their lifecycle; `listen()` and `close()` are for tests and the CLI alike.
 *
 * The parts: `http-app.ts` (routes, CORS, body parsing, rate limit, WebSocket
 * upgrade), `session-registry.ts` (the live sessions and their caps),
 * `docker-reconciler.ts` (orphans, stopped containers, Docker outages),
 * `preview-proxy.ts` (preview hosts to sandbox ports) and `defaults.ts`.
 */
import type { Server } from 'node:http';
import Docker from 'dockerode';
import { allowsPtrace, defaultSeccompProfile } from '../local-engine/seccomp.js';
import type { LocalContainerEngineOptions } from '../local-engine/local-container-engine.js';
import { createFleet } from '../fleet/fleet.js';
import { DependencyCache } from './dependency-cache.js';
import { DockerReconciler } from './docker-reconciler.js';
import { createHttpApp, heartbeat } from './http-app.js';
import { checkImages, resolveOptions, type OrchestratorOptions, type ResolvedOptions } from './options.js';
import { PreviewHosts } from './preview-proxy.js';
import type { Session } from './session.js';
import { SessionRegistry } from './session-registry.js';
import { TokenSigner } from './tokens.js';
import { WarmPool } from './warm-pool.js';

/** A running (or ready to run) orchestrator. */
export interface Orchestrator {
  /** Starts listening (port 0 picks a free one); resolves with the base URL. Removes containers an earlier run left. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, tears every session down (their containers are removed), closes the server. */
  close(): Promise<void>;
  /** The base URL once listening. */
  readonly url: string | undefined;
  /** Live sessions, by id (read-only use: operators and tests). */
  readonly sessions: ReadonlyMap<string, Session>;
  /** The underlying HTTP server. */
  readonly server: Server;
}

export function createOrchestrator(options: OrchestratorOptions = {}): Orchestrator {
  const config: ResolvedOptions = resolveOptions(options);
  const docker = config.docker ?? new Docker();
  const seccompProfile = config.seccompProfile ?? defaultSeccompProfile();
  const engineOptions = (image: string): LocalContainerEngineOptions => ({
    image,
    docker,
    network: config.network,
    owner: config.owner,
    limits: { fileBytes: config.limits.maxFileBytes, ...config.sandboxLimits },
    ...(seccompProfile && { seccompProfile }),
  });
  const signer = new TokenSigner(config.secret, config.tokenTtl);
  const pool = new WarmPool(config.pool, engineOptions, config.log);
  const cache = config.dependencyCache ? new DependencyCache({ dir: config.dependencyCache, engineOptions, log: config.log }) : undefined;
  const previews = new PreviewHosts();
  const capacity = () => ({ ...registry.capacity, open: !registry.closing });
  const fleet = createFleet({ options: config.fleet, secret: config.secret, secretGiven: options.secret !== undefined, previews, capacity, log: config.log });
  const registry = new SessionRegistry({ config, pool, cache, signer, engineOptions, previewUrl: (session, port) => previews.url(session, port), idPrefix: () => fleet.owner });
  const reconciler = new DockerReconciler(docker, config, registry, pool);
  let baseUrl: string | undefined;
  const app = createHttpApp({
    config,
    registry,
    signer,
    previews,
    health: async () => ({ docker: await reconciler.dockerAnswers(), warm: pool.total, owner: fleet.owner, capacity: registry.capacity }),
    publicUrl: () => config.publicUrl ?? baseUrl ?? '',
    frontDoor: fleet.frontDoor,
  });
  let timers: NodeJS.Timeout[] = [];

  function startTimers(): void {
    const { idleTimeout, pauseAfter } = config.limits;
    const every = Math.min(Math.max(Math.min(idleTimeout, pauseAfter) / 4, 100), 10_000);
    timers = [
      setInterval(() => registry.sweepIdle(), every),
      setInterval(() => heartbeat(app.websockets), 30_000),
      setInterval(() => void reconciler.reconcile(), 5_000),
    ];
    for (const timer of timers) timer.unref();
  }

  return {
    get url() {
      return baseUrl;
    },
    sessions: registry.sessions,
    server: app.server,
    async listen(port = 0, host = '127.0.0.1') {
      // Fail at start, not on every session: an operator sees the fix once, in the terminal.
      await checkImages(docker, config);
      await reconciler.ensureNetwork();
      await reconciler.removeOrphans();
      if (allowsPtrace(seccompProfile)) config.log('warning: sandboxes run under a seccomp profile that allows ptrace between their own processes; `npm run setup` installs one without it (see docs/security.md)');
      await new Promise<void>((resolve, reject) => {
        app.server.once('error', reject);
        app.server.listen(port, host, () => resolve());
      });
      const address = app.server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      previews.configure(config.previewUrl, actual);
      await fleet.start(host, actual);
      startTimers();
      // Other stacks' images are pooled once a session has asked for one (claim refills): most sites use one stack.
      pool.fill(config.image);
      config.log(`listening on ${baseUrl} (previews at ${previews.template})`);
      return baseUrl;
    },
    async close() {
      if (registry.closing) return;
      for (const timer of timers) clearInterval(timer);
      fleet.stop();
      await Promise.all([registry.close(), pool.close()]);
      for (const ws of app.websockets.clients) ws.terminate();
      app.websockets.close();
      await new Promise<void>((resolve) => {
        app.server.close(() => resolve());
        app.server.closeAllConnections();
      });
    },
  };
}
