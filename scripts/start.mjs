// `npm start`: the demo. Makes sure of Docker and the base image (the same
// setup as the tests), builds the CDN bundle, starts the orchestrator on the
// local Docker engine and serves demo/ beside it. Ctrl-C stops both; closing
// the orchestrator removes every sandbox container it started.
//
//   PORT               the demo pages' port (default 8080)
//   ORCHESTRATOR_PORT  the sandbox server's port (default 8787)
//   HOST               the address both listen on (default 127.0.0.1)
//
// test/e2e/demo.e2e.mjs starts the same stack through startDemo().
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { buildCdn } from './build/cdn.mjs';
import { createStaticServer, listen } from './demo/static-server.mjs';

const root = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const log = (line) => console.log(`[start ${new Date().toTimeString().slice(0, 8)}] ${line}`);

/** Runs scripts/setup.sh for `parts` (`docker`: daemon and default image; `agent`: the sandbox agent; `images`: every stack's; `browsers`); it prints its own progress. */
export function setup(parts = ['docker']) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [root('scripts/setup.sh'), ...parts], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`scripts/setup.sh ${parts.join(' ')} failed (${signal ?? `exit ${code}`}); its messages above say why.`)),
    );
  });
}

/**
 * Starts the orchestrator and the static server. `port` and `orchestratorPort`
 * may be 0 (a free port); `owner` labels the sandbox containers (an earlier
 * run's containers with the same owner are removed at start). Resolves with
 * both URLs and `close()`, which removes every container this stack started.
 */
export async function startDemo({ port = 8080, orchestratorPort = 8787, host = '127.0.0.1', owner = 'demo', quiet = false } = {}) {
  // The server's TypeScript sources run through tsx: no separate server build to keep current.
  register();
  const { createOrchestrator } = await import('../src/server/index.ts');
  const substitutions = {};
  const pages = createStaticServer({ mounts: { '/': root('demo'), '/dist/cdn/': root('dist/cdn') }, substitutions });
  const pagePort = await listen(pages, port, host);
  const pageUrl = `http://${host === '127.0.0.1' ? 'localhost' : host}:${pagePort}`;
  const orchestrator = createOrchestrator({
    allowedOrigins: [`http://localhost:${pagePort}`, `http://127.0.0.1:${pagePort}`, `http://${host}:${pagePort}`],
    owner,
    // One reader, many sandboxes: a demo page runs several at once.
    limits: { sessionsPerAddress: 30, createsPerMinute: 120, originSessions: 30, originSessionsPerHour: 7200 },
    log: quiet ? () => undefined : (line) => log(`orchestrator: ${line}`),
  });
  let orchestratorUrl;
  try {
    orchestratorUrl = await orchestrator.listen(orchestratorPort, host);
  } catch (error) {
    pages.close();
    const inUse = error.code === 'EADDRINUSE';
    throw new Error(inUse ? `Port ${orchestratorPort} is in use; set ORCHESTRATOR_PORT to another one.` : `The orchestrator cannot start: ${error.message}`);
  }
  substitutions.ORCHESTRATOR_URL = orchestratorUrl;
  let closed;
  return {
    pageUrl,
    orchestratorUrl,
    orchestrator,
    close() {
      closed ??= Promise.all([
        orchestrator.close(),
        new Promise((resolve) => {
          pages.close(() => resolve());
          pages.closeAllConnections();
        }),
      ]).then(() => undefined);
      return closed;
    },
  };
}

function envPort(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number (0-65535), not "${value}".`);
  return port;
}

async function main() {
  const port = envPort('PORT', 8080);
  const orchestratorPort = envPort('ORCHESTRATOR_PORT', 8787);
  const host = process.env.HOST || '127.0.0.1';
  log('making sure of Docker, the sandbox agent and every stack\'s image (scripts/setup.sh docker agent images)...');
  await setup(['docker', 'agent', 'images']);
  log('building the CDN bundle (dist/cdn/code-sandbox.js)...');
  await buildCdn();
  log('starting the sandbox server and the demo pages...');
  const demo = await startDemo({ port, orchestratorPort, host });
  let stopping = false;
  const stop = (signal) => {
    if (stopping) {
      log('second signal: exiting now; the next `npm start` removes containers left behind.');
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: stopping; removing the sandbox containers...`);
    demo.close().then(
      () => {
        log('stopped; no sandbox container is left.');
        process.exit(0);
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(`
  Demo pages       ${demo.pageUrl}/
    docs page      ${demo.pageUrl}/docs.html
    blog post      ${demo.pageUrl}/blog.html
    every stack    ${demo.pageUrl}/stacks.html
  Sandbox server   ${demo.orchestratorUrl}  (previews on http://<session>-<port>.localhost:${new URL(demo.orchestratorUrl).port}/)

  Open a page and press Run on an example. Ctrl-C stops everything.
`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`\n[start] ${error.message}`);
    process.exit(1);
  });
}
