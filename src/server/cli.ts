#!/usr/bin/env node
/**
 * code-sandbox-server: runs the orchestrator on this machine's Docker (or
 * Podman) engine. Closes gracefully on SIGINT/SIGTERM: every session is torn
 * down and its container removed.
 */
import { parseArgs } from 'node:util';
import { readSeccompProfile } from './local-engine/seccomp.js';
import { createOrchestrator } from './orchestrator/orchestrator.js';

const HELP = `Usage: code-sandbox-server [options]

  --port <n>              port to listen on (default 8787; 0 picks a free one)
  --host <addr>           address to listen on (default 127.0.0.1)
  --allow-origin <url>    page origin allowed to start sandboxes (repeatable; * for any, development only)
  --image <name>          default sandbox image (default code-sandbox/base:trixie: Node.js, Python)
  --template-image <t=i>  image for a template, e.g. go=golang:1.24 (repeatable; defaults: code-sandbox/<t>:trixie
                          for go, rust, ruby and php, built by npm run setup -- images)
  --preview-url <tmpl>    preview URL template, e.g. https://{session}-{port}.example-preview.com/
  --public-url <url>      the URL clients reach this server at, when behind a proxy
  --api-key <key>         API key that may create sessions server-to-server (repeatable; also CODE_SANDBOX_API_KEYS, comma-separated)
  --require-api-key       require an API key for every session
  --max-sessions <n>      sessions at once (default 50)
  --max-sessions-per-address <n>  sessions at once per client address (default 5)
  --creates-per-minute <n>  session creations per minute per client address (default 20)
  --idle-timeout <s>      seconds before a disconnected session is torn down (default 300)
  --max-lifetime <s>      seconds a session may live (default 1800)
  --pool <n>              containers kept booted ahead of time per image (default 1)
  --dependency-cache <d>  cache installs by their manifests in folder <d> (default /var/tmp/code-sandbox/deps; off disables)
  --pause-after <s>       seconds without a client before a session is frozen (default 30)
  --network <mode>        sandbox network: code-sandbox (default: a bridge firewalled from this host and
                          link-local/metadata addresses; needs root for iptables), none, or a Docker network you secured
  --owner <label>         label value of this server's containers (default orchestrator)
  --seccomp-profile <f>   seccomp profile of every sandbox, Docker's JSON format (default /etc/code-sandbox/seccomp.json,
                          Docker's default without ptrace, which npm run setup installs; else the daemon's default)
  -h, --help              show this help

Environment: DOCKER_HOST selects the engine (e.g. Podman's socket); CODE_SANDBOX_SECRET signs tokens.`;

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string', default: '8787' },
        host: { type: 'string', default: '127.0.0.1' },
        'allow-origin': { type: 'string', multiple: true, default: [] },
        image: { type: 'string' },
        'template-image': { type: 'string', multiple: true, default: [] },
        'preview-url': { type: 'string' },
        'public-url': { type: 'string' },
        'api-key': { type: 'string', multiple: true, default: [] },
        'require-api-key': { type: 'boolean', default: false },
        'max-sessions': { type: 'string' },
        'max-sessions-per-address': { type: 'string' },
        'creates-per-minute': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'max-lifetime': { type: 'string' },
        pool: { type: 'string', default: '1' },
        'dependency-cache': { type: 'string', default: '/var/tmp/code-sandbox/deps' },
        'pause-after': { type: 'string' },
        network: { type: 'string' },
        owner: { type: 'string' },
        'seccomp-profile': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const values = parsed.values;
  if (values.help) {
    console.log(HELP);
    return;
  }
  const number = (name: string, value: string | undefined, scale = 1): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) {
      console.error(`--${name} must be a non-negative number, not "${value}".`);
      process.exit(2);
    }
    return n * scale;
  };
  const images = Object.fromEntries(
    values['template-image'].map((pair) => {
      const [template, image] = pair.split('=');
      if (!template || !image) {
        console.error(`--template-image takes template=image, such as go=golang:1.24, not "${pair}".`);
        process.exit(2);
      }
      return [template, image];
    }),
  );
  const apiKeys = [...values['api-key'], ...(process.env['CODE_SANDBOX_API_KEYS']?.split(',').filter(Boolean) ?? [])];
  const maxSessions = number('max-sessions', values['max-sessions']);
  const perAddress = number('max-sessions-per-address', values['max-sessions-per-address']);
  const createsPerMinute = number('creates-per-minute', values['creates-per-minute']);
  const idleTimeout = number('idle-timeout', values['idle-timeout'], 1000);
  const maxLifetime = number('max-lifetime', values['max-lifetime'], 1000);
  const pauseAfter = number('pause-after', values['pause-after'], 1000);
  const dependencyCache = values['dependency-cache'];
  let seccompProfile: string | undefined;
  try {
    if (values['seccomp-profile']) seccompProfile = readSeccompProfile(values['seccomp-profile']);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const orchestrator = createOrchestrator({
    allowedOrigins: values['allow-origin'],
    images,
    apiKeys,
    requireApiKey: values['require-api-key'],
    ...(values.image && { image: values.image }),
    ...(values['preview-url'] && { previewUrl: values['preview-url'] }),
    ...(values['public-url'] && { publicUrl: values['public-url'] }),
    pool: number('pool', values.pool) ?? 1,
    ...(dependencyCache !== 'off' && { dependencyCache }),
    ...(values.network && { network: values.network }),
    ...(values.owner && { owner: values.owner }),
    ...(seccompProfile && { seccompProfile }),
    ...(process.env['CODE_SANDBOX_SECRET'] && { secret: process.env['CODE_SANDBOX_SECRET'] }),
    limits: {
      ...(maxSessions !== undefined && { sessions: maxSessions }),
      ...(perAddress !== undefined && { sessionsPerAddress: perAddress }),
      ...(createsPerMinute !== undefined && { createsPerMinute }),
      ...(idleTimeout !== undefined && { idleTimeout }),
      ...(maxLifetime !== undefined && { maxLifetime }),
      ...(pauseAfter !== undefined && { pauseAfter }),
    },
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`[code-sandbox-server] ${signal}: closing sessions and removing their containers...`);
    orchestrator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  orchestrator.listen(number('port', values.port), values.host).then(
    (url) => console.log(`code-sandbox-server listening on ${url}`),
    (error: unknown) => {
      console.error(`[code-sandbox-server] cannot start: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}

main();
