/**
 * code-sandbox-server's flags: one table from which come the parser's options,
 * the help text (defaults included, read from `DEFAULTS` and `CLI_DEFAULTS`) and
 * the `createOrchestrator` options.
 */
import { readSeccompProfile } from './local-engine/seccomp.js';
import { CLI_DEFAULTS, DEFAULTS } from './orchestrator/defaults.js';
import { HostAllowlist, REGISTRY_HOSTS } from './egress/allowlist.js';
import { assertEgressMode, type EgressMode } from './egress/sandbox-egress.js';
import type { OrchestratorLimits, OrchestratorOptions } from './orchestrator/options.js';

interface Flag {
  /** The argument's name in the help (`<n>`); none for a switch. */
  arg?: string;
  multiple?: boolean;
  /** The help line; `{default}` is replaced by the default. */
  help: string;
  default?: string | number;
}

const seconds = (ms: number) => ms / 1000;

/** Every flag, in the order the help lists them. */
export const FLAGS = {
  port: { arg: '<n>', help: 'port to listen on (default {default}; 0 picks a free one)', default: CLI_DEFAULTS.port },
  host: { arg: '<addr>', help: 'address to listen on (default {default})', default: CLI_DEFAULTS.host },
  'allow-origin': { arg: '<url>', multiple: true, help: 'page origin allowed to start sandboxes (repeatable; * for any, development only)' },
  image: { arg: '<name>', help: 'default sandbox image (default {default}: Node.js, Python)', default: DEFAULTS.image },
  'template-image': {
    arg: '<t=i>',
    multiple: true,
    help: 'image for a template, e.g. go=golang:1.24 (repeatable; defaults: code-sandbox/<t>:trixie\nfor go, rust, ruby and php, built by npm run setup -- images)',
  },
  'preview-url': { arg: '<tmpl>', help: 'preview URL template, e.g. https://{session}-{port}.example-preview.com/' },
  'public-url': { arg: '<url>', help: 'the URL clients reach this server at, when behind a proxy' },
  'api-key': { arg: '<key>', multiple: true, help: 'API key that may create sessions server-to-server (repeatable; also CODE_SANDBOX_API_KEYS, comma-separated)' },
  'require-api-key': { help: 'require an API key for every session' },
  'max-sessions': { arg: '<n>', help: 'sessions at once (default {default})', default: DEFAULTS.limits.sessions },
  'max-sessions-per-address': { arg: '<n>', help: 'sessions at once per client address (default {default})', default: DEFAULTS.limits.sessionsPerAddress },
  'creates-per-minute': { arg: '<n>', help: 'session creations per minute per client address (default {default})', default: DEFAULTS.limits.createsPerMinute },
  'idle-timeout': { arg: '<s>', help: 'seconds before a disconnected session is torn down (default {default})', default: seconds(DEFAULTS.limits.idleTimeout) },
  'max-lifetime': { arg: '<s>', help: 'seconds a session may live (default {default})', default: seconds(DEFAULTS.limits.maxLifetime) },
  pool: { arg: '<n>', help: `containers kept booted ahead of time per image (default {default}; createOrchestrator's is ${DEFAULTS.pool})`, default: CLI_DEFAULTS.pool },
  'dependency-cache': {
    arg: '<d>',
    help: "cache installs by their manifests in folder <d> (default {default}; off disables;\ncreateOrchestrator's default is no cache)",
    default: CLI_DEFAULTS.dependencyCache,
  },
  'pause-after': { arg: '<s>', help: 'seconds without a client before a session is frozen (default {default})', default: seconds(DEFAULTS.limits.pauseAfter) },
  network: {
    arg: '<mode>',
    help: 'network of --egress all sandboxes: code-sandbox (default: a bridge firewalled from this\nhost and link-local/metadata addresses; needs root for iptables), none, or a Docker network you secured',
  },
  owner: { arg: '<label>', help: 'label value of this server\'s containers (default {default})', default: DEFAULTS.owner },
  'seccomp-profile': {
    arg: '<f>',
    help: "seccomp profile of every sandbox, Docker's JSON format (default /etc/code-sandbox/seccomp.json,\nDocker's default without ptrace, which npm run setup installs; else the daemon's default)",
  },
  // Quotas per embedding site (origin-quotas.ts, cpu-meter.ts).
  'origin-sessions': { arg: '<n>', help: 'sessions at once per page origin (default {default}; no Origin counts as one site)', default: DEFAULTS.limits.originSessions },
  'origin-sessions-per-hour': { arg: '<n>', help: 'session creations per page origin in any hour (default {default})', default: DEFAULTS.limits.originSessionsPerHour },
  'origin-cpu-per-hour': { arg: '<s>', help: "CPU-seconds a page origin's sessions may use in any hour (default {default})", default: DEFAULTS.limits.originCpuSecondsPerHour },
  'miner-after': { arg: '<s>', help: 'seconds a session may keep its CPU limit busy before it is ended (default {default})', default: seconds(DEFAULTS.limits.minerWindow) },
  // egress (src/server/egress/)
  egress: {
    arg: '<mode>',
    help: "what sandboxes reach: registries (default: package registries only, through this\nserver's proxy, refusals logged), all (the internet, not this host: --network) or none",
    default: DEFAULTS.egress,
  },
  'template-egress': { arg: '<t=m>', multiple: true, help: 'egress for a template\'s sessions, e.g. go=all (repeatable)' },
  'registry-host': {
    arg: '<host>',
    multiple: true,
    help: "another host registries egress allows: name, name:port or *.domain (repeatable;\nadded to npm's, PyPI's, crates.io's, Go's, RubyGems' and Packagist's)",
  },
  // gVisor (issue 17)
  runtime: {
    arg: '<name>',
    help: "OCI runtime of the sandboxes, as registered with Docker: runsc (gVisor's user-space kernel;\nnpm run setup -- runsc installs it) or runc (default: the daemon's default, runc)",
  },
  // Fleet (issue 18): several servers behind one name (docs/scaling.md).
  peer: { arg: '<url>', multiple: true, help: 'another server of this fleet, e.g. http://10.0.0.2:8787 (repeatable; also\nCODE_SANDBOX_PEERS, comma-separated); the fleet shares CODE_SANDBOX_SECRET' },
  'peer-dns': { arg: '<h:p>', help: 'a DNS name resolving to every server of the fleet, with their port, e.g.\ncode-sandbox-peers:8787 (a headless Service; re-resolved every 10 s)' },
  'advertise-url': { arg: '<url>', help: 'the URL peers reach this server at (also CODE_SANDBOX_ADVERTISE_URL; default:\nthe listen address, or this host\'s first IPv4 address when listening on 0.0.0.0)' },
} satisfies Record<string, Flag>;

/** `code-sandbox-server --help`. */
export function helpText(): string {
  const lines = Object.entries(FLAGS as Record<string, Flag>).map(([name, flag]) => {
    const head = `  --${name}${flag.arg ? ` ${flag.arg}` : ''}`;
    const [first, ...rest] = flag.help.replace('{default}', String(flag.default)).split('\n');
    return [`${head.padEnd(26)}${head.length >= 26 ? '  ' : ''}${first}`, ...rest.map((line) => `${' '.repeat(26)}${line}`)].join('\n');
  });
  return `Usage: code-sandbox-server [options]

${lines.join('\n')}
  -h, --help              show this help

Environment: DOCKER_HOST selects the engine (e.g. Podman's socket); CODE_SANDBOX_SECRET signs tokens
(and, shared by a fleet, the requests its servers pass each other).`;
}

/** The options of `node:util`'s parseArgs for the flags. */
export function parserOptions() {
  const entries = Object.entries(FLAGS as Record<string, Flag>).map(([name, flag]) => {
    const type = flag.arg ? ('string' as const) : ('boolean' as const);
    return [name, { type, ...(flag.multiple && { multiple: true }) }] as const;
  });
  return { ...Object.fromEntries(entries), help: { type: 'boolean' as const, short: 'h' } };
}

/** A flag's value that makes no sense; the CLI prints its message and exits with 2. */
export class UsageError extends Error {}

type Values = Record<string, string | boolean | string[] | undefined>;

/** Where the server listens. */
export function listenAddress(values: Values): { port: number; host: string } {
  return { port: number(values, 'port') ?? CLI_DEFAULTS.port, host: (values['host'] as string | undefined) ?? CLI_DEFAULTS.host };
}

/** The `createOrchestrator` options the flags (and the environment) say. */
export function orchestratorOptions(values: Values, env: NodeJS.ProcessEnv = process.env): OrchestratorOptions {
  const string = (name: string) => values[name] as string | undefined;
  const list = (name: string) => (values[name] as string[] | undefined) ?? [];
  const dependencyCache = string('dependency-cache') ?? CLI_DEFAULTS.dependencyCache;
  const seccomp = string('seccomp-profile');
  let seccompProfile: string | undefined;
  try {
    if (seccomp) seccompProfile = readSeccompProfile(seccomp);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    allowedOrigins: list('allow-origin'),
    images: templateImages(list('template-image')),
    apiKeys: [...list('api-key'), ...(env['CODE_SANDBOX_API_KEYS']?.split(',').filter(Boolean) ?? [])],
    requireApiKey: values['require-api-key'] === true,
    ...given('image', string('image')),
    ...given('previewUrl', string('preview-url')),
    ...given('publicUrl', string('public-url')),
    pool: number(values, 'pool') ?? CLI_DEFAULTS.pool,
    ...(dependencyCache !== 'off' && { dependencyCache }),
    ...given('network', string('network')),
    ...given('owner', string('owner')),
    ...(seccompProfile && { seccompProfile }),
    ...(env['CODE_SANDBOX_SECRET'] && { secret: env['CODE_SANDBOX_SECRET'] }),
    ...given('runtime', string('runtime')),
    limits: limits(values),
    ...egressOptions(values),
    ...fleetOptions(values, env),
  };
}

/** The egress options: modes checked here, so a typo stops the CLI with the fix. */
function egressOptions(values: Values): Pick<OrchestratorOptions, 'egress' | 'templateEgress' | 'registryHosts'> {
  const mode = (value: string, where: string): EgressMode => {
    try {
      assertEgressMode(value, where);
      return value;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const templateEgress = ((values['template-egress'] as string[] | undefined) ?? []).map((pair): [string, EgressMode] => {
    const [template, value] = pair.split('=');
    if (!template || !value) throw new UsageError(`--template-egress takes template=mode, such as go=all, not "${pair}".`);
    return [template, mode(value, `--template-egress ${template}`)];
  });
  const added = (values['registry-host'] as string[] | undefined) ?? [];
  try {
    new HostAllowlist(added);
  } catch (error) {
    throw new UsageError(`--registry-host: ${(error as Error).message}`);
  }
  const egress = values['egress'] as string | undefined;
  return {
    ...(egress && { egress: mode(egress, '--egress') }),
    ...(templateEgress.length && { templateEgress: Object.fromEntries(templateEgress) }),
    ...(added.length && { registryHosts: [...REGISTRY_HOSTS, ...added] }),
  };
}

/** The fleet's flags (issue 18), with their environment variables. */
function fleetOptions(values: Values, env: NodeJS.ProcessEnv): Pick<OrchestratorOptions, 'fleet'> {
  const peers = [...((values['peer'] as string[] | undefined) ?? []), ...(env['CODE_SANDBOX_PEERS']?.split(',').filter(Boolean) ?? [])];
  const peerDns = values['peer-dns'] as string | undefined;
  const advertiseUrl = (values['advertise-url'] as string | undefined) ?? env['CODE_SANDBOX_ADVERTISE_URL'];
  if (!peers.length && !peerDns && !advertiseUrl) return {};
  return { fleet: { peers, ...(peerDns && { peerDns }), ...(advertiseUrl && { advertiseUrl }) } };
}

/** `{key: value}` for a value given (not empty), else nothing. */
function given<K extends 'image' | 'previewUrl' | 'publicUrl' | 'network' | 'owner' | 'runtime'>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function limits(values: Values): OrchestratorLimits {
  const limitsGiven: [keyof OrchestratorLimits, number | undefined][] = [
    ['sessions', number(values, 'max-sessions')],
    ['sessionsPerAddress', number(values, 'max-sessions-per-address')],
    ['createsPerMinute', number(values, 'creates-per-minute')],
    ['idleTimeout', number(values, 'idle-timeout', 1000)],
    ['maxLifetime', number(values, 'max-lifetime', 1000)],
    ['pauseAfter', number(values, 'pause-after', 1000)],
    // Quotas per embedding site.
    ['originSessions', number(values, 'origin-sessions')],
    ['originSessionsPerHour', number(values, 'origin-sessions-per-hour')],
    ['originCpuSecondsPerHour', number(values, 'origin-cpu-per-hour')],
    ['minerWindow', number(values, 'miner-after', 1000)],
  ];
  return Object.fromEntries(limitsGiven.filter(([, value]) => value !== undefined));
}

function number(values: Values, name: string, scale = 1): number | undefined {
  const value = values[name] as string | undefined;
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, not "${value}".`);
  return n * scale;
}

function templateImages(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const [template, image] = pair.split('=');
      if (!template || !image) throw new UsageError(`--template-image takes template=image, such as go=golang:1.24, not "${pair}".`);
      return [template, image];
    }),
  );
}
