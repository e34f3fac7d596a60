/** The orchestrator's options, their defaults, and how they are resolved. */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { assertImage } from '../local-engine/local-container-engine.js';
import type { SandboxLimits } from '../local-engine/container-spec.js';
import { SANDBOX_NETWORK, type SandboxNetworkOptions } from '../local-engine/sandbox-network.js';
import { STACK_IMAGES } from '../stack-images.js';
import { REGISTRY_HOSTS } from '../egress/allowlist.js';
import type { EgressMode, EgressProxyOptions } from '../egress/sandbox-egress.js';
import { DEFAULTS } from './defaults.js';
import type { FleetOptions } from '../fleet/fleet.js';

/** Limits the orchestrator enforces; every one is configurable. */
export interface OrchestratorLimits {
  /** Sessions at once, in total (default 50). */
  sessions?: number;
  /** Sessions at once per client address (default 5). */
  sessionsPerAddress?: number;
  /** Session creations per minute per client address (default 20). */
  createsPerMinute?: number;
  /** A session with no client connected for this long is frozen (`docker pause`) until its reader returns, in ms (default 30 s). */
  pauseAfter?: number;
  /** A session with no client connected for this long is torn down, in ms (default 5 min). */
  idleTimeout?: number;
  /** No session lives longer than this, in ms (default 30 min). */
  maxLifetime?: number;
  /** Largest WebSocket message, in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Largest file (or mount payload) accepted, in bytes (default 50 MiB). */
  maxFileBytes?: number;
  /** Unacknowledged output held per session before its processes are paused, in characters (default 1 MiB). */
  outputBufferBytes?: number;
  // Quotas per embedding site (origin-quotas.ts, cpu-meter.ts). Requests without an Origin share one site's
  // quotas; API-keyed requests are not counted.
  /** Sessions at once per page origin (default 25). */
  originSessions?: number;
  /** Session creations per page origin in any rolling hour (default 300). */
  originSessionsPerHour?: number;
  /** CPU-seconds a page origin's sessions may use in any rolling hour (default 7200: two cores busy on average). */
  originCpuSecondsPerHour?: number;
  /** A session that keeps its CPU limit busy (90% or more) this long is ended as a miner, in ms (default 5 min). */
  minerWindow?: number;
  /** How often each session's CPU time is sampled, in ms (default 5 s). */
  cpuSampleInterval?: number;
}

/** Options of `createOrchestrator`. */
export interface OrchestratorOptions {
  /** Image for sessions with no template match (default `code-sandbox/base:trixie`: Node.js, Python). */
  image?: string;
  /**
   * Image per template, e.g. `{ go: 'golang:1.24' }`, over the defaults
   * (`STACK_IMAGES`: the go, rust, ruby and php images setup.sh builds).
   */
  images?: Record<string, string>;
  /** Page origins allowed to create and connect to sessions; `*` allows any (development only). */
  allowedOrigins?: string[];
  /** API keys that may create sessions without an allowed Origin (server-to-server). */
  apiKeys?: string[];
  /** Require an API key for every session creation, even from allowed origins. */
  requireApiKey?: boolean;
  /** Secret that signs session tokens (default: random per process). */
  secret?: string;
  /** Lifetime of a session token in ms (default 10 min); clients refresh over the socket. */
  tokenTtl?: number;
  /**
   * Preview URL template with `{session}` and `{port}`, e.g.
   * `https://{session}-{port}.example-preview.com/`. Default:
   * `http://{session}-{port}.localhost:<listening port>/`.
   */
  previewUrl?: string;
  /** The URL clients reach the orchestrator at, when behind a proxy (default: the listening address). */
  publicUrl?: string;
  /** Limits; see `OrchestratorLimits`. */
  limits?: OrchestratorLimits;
  /** Per-sandbox resource limits passed to each LocalContainerEngine. */
  sandboxLimits?: SandboxLimits;
  /**
   * Host folder for the dependency cache: installs of the same manifests are
   * restored from it (see DependencyCache). Unset: no cache.
   */
  dependencyCache?: string;
  /** Containers booted ahead of time per image, claimed by new sessions (default 0: none). */
  pool?: number;
  /**
   * The network of sandboxes with `all` egress (see `egress`): `code-sandbox`
   * (default: a dedicated bridge, firewalled so sandboxes reach the internet
   * but not this host nor link-local/metadata addresses; see `sandboxNetwork`),
   * `none`, or any Docker network you secured yourself.
   */
  network?: string;
  /**
   * Seccomp profile for every sandbox (Docker's JSON format, as text). Default:
   * the one `scripts/setup.sh` installs (Docker's default without ptrace), else
   * the daemon's default.
   */
  seccompProfile?: string;
  /** How the dedicated sandbox network is set up (name, bridge, firewall, blocked destinations). */
  sandboxNetwork?: SandboxNetworkOptions;
  /** Label value marking this orchestrator's containers; those left by an earlier run are removed at start (default `orchestrator`). */
  owner?: string;
  /** A dockerode client (default: from DOCKER_HOST, else the local socket). */
  docker?: Docker;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;

  // Egress (what sandboxes may reach; src/server/egress/)
  /**
   * What sandboxes may reach (default `registries`): `registries` (only the
   * package registries of `registryHosts`, through the server's proxy, which
   * logs every refusal), `all` (the internet but not this host: the `network`
   * option's network) or `none` (no network; previews still work).
   */
  egress?: EgressMode;
  /** Egress per template over `egress`, e.g. `{ go: 'all' }`. */
  templateEgress?: Record<string, EgressMode>;
  /** Hosts `registries` egress allows: `host`, `host:port` or `*.domain` (default `REGISTRY_HOSTS`: npm, PyPI, crates.io, Go, RubyGems, Packagist). */
  registryHosts?: string[];
  /** How `registries` egress is set up: its network, the proxy's port, fixed host addresses. */
  egressProxy?: EgressProxyOptions;

  // gVisor (issue 17)
  /**
   * The OCI runtime every sandbox runs under, by the name it is registered with
   * Docker: `runsc` (gVisor's user-space kernel; `npm run setup -- runsc`
   * installs and registers it) or `runc`. Default: the daemon's default runtime
   * (runc, unless the operator changed it), even where runsc is installed: see
   * docs/performance.md, "runc or runsc". The server refuses to start with a
   * runtime the daemon does not know.
   */
  runtime?: string;

  // Fleet (issue 18): several servers behind one name.
  /** The other servers of a fleet (peers, a DNS name, this server's advertise URL); the fleet's servers share `secret`. */
  fleet?: FleetOptions;
}

/** Options with no default: absent means off (or decided elsewhere). */
type Optional = 'docker' | 'previewUrl' | 'publicUrl' | 'sandboxLimits' | 'sandboxNetwork' | 'dependencyCache' | 'seccompProfile' | 'egressProxy' | 'runtime' | 'fleet';
export type ResolvedOptions = Required<Omit<OrchestratorOptions, Optional>> & Pick<OrchestratorOptions, Optional> & { limits: Required<OrchestratorLimits> };

/** The options with every default filled in (from `DEFAULTS`). */
export function resolveOptions(options: OrchestratorOptions): ResolvedOptions {
  return {
    image: DEFAULTS.image,
    allowedOrigins: [],
    apiKeys: [],
    requireApiKey: false,
    secret: randomBytes(32).toString('hex'),
    tokenTtl: DEFAULTS.tokenTtl,
    network: options.sandboxNetwork?.name ?? SANDBOX_NETWORK,
    owner: DEFAULTS.owner,
    pool: DEFAULTS.pool,
    log: (line) => process.stderr.write(`[code-sandbox-server] ${line}\n`),
    ...options,
    images: { ...STACK_IMAGES, ...options.images },
    limits: { ...DEFAULTS.limits, ...options.limits },
    // egress
    egress: options.egress ?? DEFAULTS.egress,
    templateEgress: options.templateEgress ?? {},
    registryHosts: options.registryHosts ?? [...REGISTRY_HOSTS],
  };
}

/**
 * The start-up check of the images: without the default one the server does not
 * start (the error says how to get it); a missing template image is logged with
 * its fix, and only that template's sessions fail (with the same message).
 */
export async function checkImages(docker: Docker, config: Pick<ResolvedOptions, 'image' | 'images' | 'log'>): Promise<void> {
  await assertImage(docker, config.image);
  const present = new Set([config.image]);
  for (const [template, image] of Object.entries(config.images)) {
    if (present.has(image)) continue;
    await assertImage(docker, image).then(
      () => present.add(image),
      (error: unknown) => config.log(`warning: template ${template} cannot run: ${(error as Error).message} Or map it to an image you have: --template-image ${template}=<image>.`),
    );
  }
}
