// A web-test-runner plugin that runs a real orchestrator (on the real Docker
// daemon) beside the test server, for browser tests of the remote engine and
// the element. Tests read its URL from /__orchestrator.json, whether a session
// and its containers still exist from /__orchestrator/sessions/<id>, and what a
// preview URL serves (which a page cannot read across origins) from
// /__orchestrator/preview-text?url=<preview URL>.
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { promisify } from 'node:util';
import { register } from 'tsx/esm/api';

const run = promisify(execFile);

export function orchestratorPlugin() {
  let orchestrator;
  let url;
  return {
    name: 'code-sandbox-orchestrator',
    async serverStart({ config }) {
      register();
      const { createOrchestrator } = await import('../../src/server/index.ts');
      const page = (host) => `${config.protocol ?? 'http:'}//${host}:${config.port}`;
      orchestrator = createOrchestrator({
        allowedOrigins: [page('localhost'), page('127.0.0.1'), page(config.hostname ?? 'localhost')],
        owner: `wtr-${process.pid}`,
        limits: { sessionsPerAddress: 200, createsPerMinute: 6000, originSessions: 200, originSessionsPerHour: 100_000 },
        log: (line) => process.env.CS_ORCHESTRATOR_LOG && console.error(`[orchestrator] ${line}`),
      });
      url = await orchestrator.listen(0);
    },
    async serverStop() {
      await orchestrator?.close();
    },
    async serve(context) {
      if (context.path === '/__orchestrator.json') return { body: JSON.stringify({ url }), type: 'application/json' };
      const session = /^\/__orchestrator\/sessions\/([a-z0-9]+)$/.exec(context.path);
      if (session) {
        const { stdout } = await run('docker', ['ps', '-aq', '--filter', `name=code-sandbox-${session[1]}`]);
        const body = { exists: orchestrator.sessions.has(session[1]), containers: stdout.split('\n').filter(Boolean).length };
        return { body: JSON.stringify(body), type: 'application/json' };
      }
      if (context.path === '/__orchestrator/preview-text') return { body: await previewText(new URL(context.query.url), new URL(url)), type: 'text/plain' };
      return undefined;
    },
  };
}

/** The body `preview` serves, asked of the orchestrator with the preview's Host (Node does not resolve *.localhost). */
function previewText(preview, orchestrator) {
  return new Promise((resolve, reject) => {
    const options = { host: orchestrator.hostname, port: orchestrator.port, path: preview.pathname, headers: { host: preview.host } };
    get(options, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve(body)).on('error', reject);
    }).on('error', reject);
  });
}
