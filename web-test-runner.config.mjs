// Browser suites in Debian's Chromium (npm cannot download browsers here).
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { statsReporter } from './scripts/test-reporters/wtr-stats.mjs';
import { orchestratorPlugin } from './scripts/wtr/orchestrator-plugin.mjs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// WebContainers need a cross-origin isolated page: the browser engine's test pages
// get COOP/COEP, except browser-engine.not-isolated.test.ts, which checks the page
// without them (and no other suite's page changes). Workers those pages start need
// COEP on their script too.
const isolatedTestPage = /"testFile":\s*"\/test\/browser\/browser-engine(?!\.not-isolated\.)[\w.-]*\.test\.ts/;
async function crossOriginIsolation(ctx, next) {
  await next();
  if (/^\/test\/browser\/support\/[\w.-]*worker\.js$/.test(ctx.path)) ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
  if (ctx.path === '/' && typeof ctx.body === 'string' && isolatedTestPage.test(ctx.body)) {
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
  }
}

export default {
  files: ['test/unit/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 60_000 } },
  testsFinishTimeout: 20 * 60_000,
  browserStartTimeout: 60_000,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), orchestratorPlugin()],
  middleware: [crossOriginIsolation],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromium,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--disable-sync', '--no-first-run', '--disable-quic'],
      },
    }),
  ],
  reporters: [defaultReporter(), statsReporter()],
};
