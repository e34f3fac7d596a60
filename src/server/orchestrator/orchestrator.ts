/**
 * The orchestrator: an HTTP API to create sessions, one WebSocket per session
 * speaking the protocol, and preview routing by Host header. Each session owns
 * one LocalContainerEngine. `createOrchestrator` wires the parts together and
 * owns their lifecycle; `listen()` and `close()` are for tests and the CLI alike.
 *
 * The parts: `http-app.ts` (fastify: CORS, body limit, rate limit, the
 * WebSocket upgrade; routes in `session-routes.ts`), its front doors
 * (`front-doors.ts`: handlers tried before fastify, such as `preview-door.ts`,
 * preview hosts to sandbox ports), `session-registry.ts` (the live sessions and
 * their caps), `docker-reconciler.ts` (orphans, stopped containers, Docker
 * outages), `origin-quotas.ts` and `cpu-meter.ts` (each site's quotas, miners),
 * `../egress/` (what sandboxes may reach) and `defaults.ts`.
 */
import type { Server } from 'node:http';
import Docker from 'dockerode';
import { resolveRuntime, type SandboxRuntime } from '../local-engine/container-runtime.js';
import { allowsPtrace, defaultSeccompProfile } from '../local-engine/seccomp.js';
import type { LocalContainerEngineOptions } from '../local-engine/local-container-engine.js';
import { DEFAULT_LIMITS } from '../local-engine/container-spec.js';
import { CpuMeter } from './cpu-meter.js';
import { SandboxEgress, type EgressMode } from '../egress/sandbox-egress.js';
import { createFleet } from '../fleet/fleet.js';
import { DependencyCache } from './dependency-cache.js';
import { DockerReconciler } from './docker-reconciler.js';
import { createHttpApp } from './http-app.js';
import { checkImages, resolveOptions, type OrchestratorOptions, type ResolvedOptions } from './options.js';
import { previewDoor } from './preview-door.js';
import { PreviewHosts } from './preview-proxy.js';
import type { Session } from './session.js';
import { SessionRegistry } from './session-registry.js';
import { heartbeat } from './session-socket.js';
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

/** A sandbox's engine options: the image, on the network and with the proxy settings of its egress mode, hardened as configured. */
function sandboxOptions(
  config: ResolvedOptions,
  { image, docker, egress, mode, seccompProfile }: { image: string; docker: Docker; egress: SandboxEgress; mode: EgressMode; seccompProfile: string | undefined },
): LocalContainerEngineOptions {
  return {
    image,
    docker,
    network: egress.network(mode),
    env: egress.env(mode),
    dnsOptions: egress.dnsOptions(mode),
    owner: config.owner,
    limits: { fileBytes: config.limits.maxFileBytes, ...config.sandboxLimits },
    ...(seccompProfile && { seccompProfile }),
    ...(config.runtime && { runtime: config.runtime }),
  };
}

export function createOrchestrator(options: OrchestratorOptions = {}): Orchestrator {
  const config: ResolvedOptions = resolveOptions(options);
  const docker = config.docker ?? new Docker();
  const seccompProfile = config.seccompProfile ?? defaultSeccompProfile();
  // Sessions are looked up late: the registry is created below, with these engine options.
  const egress: SandboxEgress = new SandboxEgress(docker, config, (containerId): string | undefined => [...registry.sessions.values()].find((session) => session.engine.containerId === containerId)?.id);
  const engineOptions = (image: string, mode: EgressMode = config.egress) => sandboxOptions(config, { image, docker, egress, mode, seccompProfile });
  const signer = new TokenSigner(config.secret, config.tokenTtl);
  const pool = new WarmPool(config.pool, engineOptions, config.log);
  const cache = config.dependencyCache ? new DependencyCache({ dir: config.dependencyCache, engineOptions, log: config.log }) : undefined;
  const previews = new PreviewHosts();
  // As a session ends, the meter (built below, from the registry) charges its last seconds of CPU.
  const ending = (session: Session): Promise<void> => meter.settle(session);
  const capacity = () => ({ ...registry.capacity, open: !registry.closing });
  const fleet = createFleet({ options: config.fleet, secret: config.secret, secretGiven: options.secret !== undefined, previews, capacity, log: config.log });
  const registry = new SessionRegistry({ config, pool, cache, signer, engineOptions, egress, previewUrl: (session, port) => previews.url(session, port), ending, idPrefix: () => fleet.owner });
  const reconciler = new DockerReconciler(docker, config, registry, pool, egress);
  const cpus = config.sandboxLimits?.cpus ?? DEFAULT_LIMITS.cpus;
  const meter = new CpuMeter({ docker, registry, cpus, minerWindow: config.limits.minerWindow, log: config.log });
  let baseUrl: string | undefined;
  /** The runtime sandboxes run under, as the daemon named it at start. */
  let runtime: SandboxRuntime | undefined;
  const health = async () => ({
    docker: (await reconciler.dockerAnswers()) ? ('up' as const) : ('unreachable' as const),
    warm: pool.total,
    runtime: runtime?.name ?? config.runtime ?? 'unknown',
    owner: fleet.owner,
    capacity: registry.capacity,
  });
  // Tried in order before the session API, for requests and upgrades alike; the first that takes one answers it.
  // The fleet's first: a preview host of a session another server owns goes there.
  const frontDoors = [fleet.frontDoor, previewDoor(previews, registry.sessions)];
  const app = createHttpApp({ config, registry, signer, health, publicUrl: () => config.publicUrl ?? baseUrl ?? '' }, frontDoors);
  let timers: NodeJS.Timeout[] = [];

  function startTimers(): void {
    const { idleTimeout, pauseAfter } = config.limits;
    const every = Math.min(Math.max(Math.min(idleTimeout, pauseAfter) / 4, 100), 10_000);
    timers = [
      setInterval(() => registry.sweepIdle(), every),
      setInterval(() => heartbeat(app.websockets), 30_000),
      setInterval(() => void reconciler.reconcile(), 5_000),
      setInterval(() => void meter.sample(), config.limits.cpuSampleInterval),
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
      runtime = await resolveRuntime(docker, config.runtime);
      await reconciler.ensureNetwork();
      await reconciler.removeOrphans();
      if (allowsPtrace(seccompProfile)) config.log('warning: sandboxes run under a seccomp profile that allows ptrace between their own processes; `npm run setup` installs one without it (see docs/security.md)');
      await app.listen(port, host);
      const address = app.server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      previews.configure(config.previewUrl, actual);
      await fleet.start(host, actual);
      startTimers();
      // Other stacks' images are pooled once a session has asked for one (claim refills): most sites use one stack.
      pool.fill(config.image);
      config.log(`listening on ${baseUrl} (previews at ${previews.template}); sandboxes run under ${runtime.description}`);
      return baseUrl;
    },
    async close() {
      if (registry.closing) return;
      for (const timer of timers) clearInterval(timer);
      fleet.stop();
      await Promise.all([registry.close(), pool.close()]);
      await egress.close();
      await app.close();
    },
  };
}
