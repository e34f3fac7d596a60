// A web-test-runner plugin with a second real orchestrator, for the browser test
// of the per-site quotas (test/browser/element-quotas.test.ts): one session
// creation per page origin an hour, sandboxes of a fifth of a core, and a
// 3-second miner window. Started on the first request for
// /__quota-orchestrator.json, so runs without that test pay nothing.
import { register } from 'tsx/esm/api';

export function quotaOrchestratorPlugin() {
  let config;
  let started;
  return {
    name: 'code-sandbox-quota-orchestrator',
    serverStart(args) {
      config = args.config;
    },
    async serverStop() {
      await (await started)?.orchestrator.close();
    },
    async serve(context) {
      if (context.path !== '/__quota-orchestrator.json') return undefined;
      started ??= start(config);
      const { url } = await started;
      return { body: JSON.stringify({ url }), type: 'application/json' };
    },
  };
}

async function start(config) {
  register();
  const { createOrchestrator } = await import('../../src/server/index.ts');
  const page = (host) => `${config.protocol ?? 'http:'}//${host}:${config.port}`;
  const orchestrator = createOrchestrator({
    allowedOrigins: [page('localhost'), page('127.0.0.1'), page(config.hostname ?? 'localhost')],
    owner: `wtr-quota-${process.pid}`,
    sandboxLimits: { cpus: 0.2 },
    limits: { originSessionsPerHour: 1, minerWindow: 3_000, cpuSampleInterval: 500 },
    log: (line) => process.env.CS_ORCHESTRATOR_LOG && console.error(`[quota orchestrator] ${line}`),
  });
  return { orchestrator, url: await orchestrator.listen(0) };
}
