/**
 * The orchestrator's defaults, in one place: `createOrchestrator` resolves its
 * options from `DEFAULTS`, and the CLI's flags and help text come from
 * `DEFAULTS` and `CLI_DEFAULTS`, so a default cannot differ between them
 * without this file saying so.
 */
import { DEFAULT_IMAGE } from '../stack-images.js';

/** What `createOrchestrator` uses for an option left out. */
export const DEFAULTS = {
  image: DEFAULT_IMAGE,
  owner: 'orchestrator',
  /** Token lifetime in ms; clients refresh over the socket. */
  tokenTtl: 10 * 60_000,
  /** Warm containers per image: none, so a library user (and a test) pays for no container it did not ask for. */
  pool: 0,
  /** Dependency cache folder: none (the library writes nowhere on the host unless told). */
  dependencyCache: undefined as string | undefined,
  limits: {
    sessions: 50,
    sessionsPerAddress: 5,
    createsPerMinute: 20,
    pauseAfter: 30_000,
    idleTimeout: 5 * 60_000,
    maxLifetime: 30 * 60_000,
    maxMessageBytes: 64 * 1024 * 1024,
    maxFileBytes: 50 * 1024 * 1024,
    outputBufferBytes: 1024 * 1024,
    // Quotas per embedding site (origin-quotas.ts, cpu-meter.ts).
    originSessions: 25,
    originSessionsPerHour: 300,
    originCpuSecondsPerHour: 7200,
    minerWindow: 5 * 60_000,
    cpuSampleInterval: 5_000,
  },
  /**
   * Egress: what a public docs embed needs, installs from package registries,
   * and nothing else (no exfiltration, no attacks from the server's address).
   */
  egress: 'registries',
} as const;

/**
 * Where the CLI differs from the library, on purpose: a server someone starts
 * from the command line is a deployment, so it keeps one container booted per
 * image (sessions start in well under a second) and caches installs on disk.
 */
export const CLI_DEFAULTS = {
  port: 8787,
  host: '127.0.0.1',
  pool: 1,
  dependencyCache: '/var/tmp/code-sandbox/deps',
} as const;
