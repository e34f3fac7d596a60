// Browser suites in the three engines, all Debian's (see scripts/wtr/browsers.mjs).
// Chromium runs every suite; Firefox and WebKit (groups, run in the same command)
// run the cross-browser suites (the element against the real orchestrator, on an
// isolated page and on a plain one) and the remote engine's contract suite.
// `web-test-runner --group firefox` (or webkit, or default: Chromium) runs one.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { statsReporter } from './scripts/test-reporters/wtr-stats.mjs';
import { orchestratorPlugin } from './scripts/wtr/orchestrator-plugin.mjs';
import { quotaOrchestratorPlugin } from './scripts/wtr/quota-orchestrator-plugin.mjs';
import { requestCookiesPlugin } from './scripts/wtr/request-cookies-plugin.mjs';
import { bundledRxjsPlugin } from './scripts/wtr/bundled-rxjs-plugin.mjs';
import { browserUnderTestPlugin, chromium, firefox, webkit } from './scripts/wtr/browsers.mjs';

const crossBrowserFiles = ['test/browser/cross-browser*.test.ts', 'test/browser/remote-engine.contract.test.ts', 'test/browser/element-editor.test.ts'];

// WebContainers need a cross-origin isolated page: the browser engine's test pages
// and cross-browser.isolated.test.ts get COOP/COEP, except
// browser-engine.not-isolated.test.ts, which checks the page without them (and no
// other suite's page changes). Workers those pages start need COEP on their script too.
const isolatedTestPage =
  /"testFile":\s*"\/test\/browser\/(browser-engine(?!\.not-isolated\.)[\w.-]*|cross-browser\.isolated)\.test\.ts/;
async function crossOriginIsolation(ctx, next) {
  await next();
  if (/^\/test\/browser\/support\/[\w.-]*worker\.js$/.test(ctx.path)) ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
  if (ctx.path === '/' && typeof ctx.body === 'string' && isolatedTestPage.test(ctx.body)) {
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cross-Origin-Embedder-Policy', 'require-corp');
  }
}

export default {
  // test/unit/server holds Node-only unit tests (node:crypto, node:http).
  files: ['test/unit/**/*.test.ts', '!test/unit/server/**', 'test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 60_000 } },
  testsFinishTimeout: 20 * 60_000,
  browserStartTimeout: 60_000,
  plugins: [bundledRxjsPlugin(), esbuildPlugin({ ts: true, target: 'es2022' }), orchestratorPlugin(), quotaOrchestratorPlugin(), browserUnderTestPlugin(), requestCookiesPlugin()],
  middleware: [crossOriginIsolation],
  browsers: [chromium()],
  groups: [
    { name: 'firefox', files: crossBrowserFiles, browsers: [firefox()] },
    { name: 'webkit', files: crossBrowserFiles, browsers: [webkit()] },
  ],
  reporters: [defaultReporter(), statsReporter()],
};
