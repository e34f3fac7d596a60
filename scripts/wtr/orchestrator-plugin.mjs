// A web-test-runner plugin that runs a real orchestrator (on the real Docker
// daemon) beside the test server, for browser tests of the remote engine and
// the element. Tests read its URL from /__orchestrator.json, and whether a
// session and its containers still exist from /__orchestrator/sessions/<id>.
import { execFile } from 'node:child_process';
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
        limits: { sessionsPerAddress: 200, createsPerMinute: 6000 },
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
      return undefined;
    },
  };
}
