// `npm run bench` (part of it): edit → preview updated. A reader edits main.js
// of a Vite app that runs as a dev server in a <code-sandbox layout="preview">,
// in Debian's Chromium against the real server on loopback (the remote engine,
// the same stack as `npm start`). Each edit selects the version number in the
// editor and types a new digit; the figure runs from that keystroke (the
// page's keydown) until the preview's new document runs main.js with the new
// number (it posts a message to the page): the element's write-through, the
// wire, the sandbox's file write, Vite's reload and the preview's load.
// Baseline in the same run: the preview reloaded without an edit (its reload
// button), the part of the figure that belongs to Vite and the browser.
//
// The browser engine, for comparison, runs over the in-page WebContainer
// STAND-IN (the real service is out of reach here), which serves no HTTP: it
// has no preview, so both engines also get "keystroke → the edit's write into
// the engine completed", the element's and the engine's share of the figure.
// Medians and p95 over BENCH_EDITS (20) edits; writes bench/results/edit-preview.json.
//
//   node bench/edit-preview.bench.mjs        (BENCH_EDITS to override)
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from '../scripts/playwright-chromium.mjs';
import { register } from 'tsx/esm/api';
import { buildCdn } from '../scripts/build/cdn.mjs';
import { createStaticServer, listen } from '../scripts/demo/static-server.mjs';
import { setup } from '../scripts/start.mjs';

const EDITS = Number(process.env.BENCH_EDITS ?? 20);
const OWNER = `bench-edit-${process.pid}`;
const log = (line) => console.log(`[bench ${new Date().toTimeString().slice(0, 8)}] ${line}`);

/** main.js: shows its version and tells the page it ran. */
const MAIN_JS = `const version = 0;
document.querySelector('#v').textContent = \`version \${version}\`;
parent.postMessage({ version }, '*');`;

/** The page's clocks: the last digit typed, each run of main.js in the preview, each write of an edit into the engine. */
const RECORDER = `<script>
  window.__bench = { keys: [], runs: [], writes: [] };
  addEventListener('keydown', (e) => { if (/^[0-9]$/.test(e.key)) window.__bench.keys.push({ key: e.key, at: performance.now() }); }, true);
  addEventListener('message', (e) => { if (typeof e.data?.version === 'number') window.__bench.runs.push({ version: e.data.version, at: performance.now() }); });
</script>`;

/** The remote engine's page: a Vite app from the CDN build, on the server. */
const remotePage = (orchestratorUrl) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edit → preview bench</title>${RECORDER}
<script type="module" src="/dist/cdn/code-sandbox.js"></script></head>
<body>
<code-sandbox id="bench" layout="preview" port="5173" remote-url="${orchestratorUrl}" persist="none" height="12rem">
<pre data-file="main.js">${MAIN_JS}</pre>
<template data-file="index.html"><!doctype html><p id="v">…</p><script type="module" src="/main.js"></script></template>
<script type="text/plain" data-file="package.json">{"private": true, "type": "module",
  "scripts": {"dev": "vite --host 0.0.0.0 --port $PORT --strictPort"}, "devDependencies": {"vite": "^6.4.0"}}</script>
</code-sandbox>
</body></html>`;

/** The browser engine's page: the same main.js beside a server the stand-in's node can run (no Vite there). */
const standInPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edit bench (stand-in)</title>${RECORDER}</head>
<body>
<code-sandbox id="bench" layout="preview" engine="browser" persist="none" height="12rem" command="node server.js">
<pre data-file="main.js">${MAIN_JS}</pre>
<script type="text/plain" data-file="server.js">require('http').createServer(() => {}).listen(process.env.PORT || 3000);</script>
</code-sandbox>
<script type="module" src="stand-in-bench.js"></script>
</body></html>`;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const p95 = (values) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)];
const summary = (values) => ({ median: Math.round(median(values)), p95: Math.round(p95(values)), samples: values.map(Math.round) });

/** Waits until `list` of the page's records has an entry after `since` that `match`es; resolves with it. */
async function next(tab, list, since, match, timeout = 60_000) {
  const find = `__bench.${list}.slice(${since}).find(${match})`;
  try {
    await tab.waitForFunction(find, undefined, { timeout, polling: 10 });
  } catch (error) {
    const status = await tab.evaluate(() => document.querySelector('code-sandbox').statusMessage).catch(() => 'unknown');
    throw new Error(`No ${list} entry matching ${match} within ${timeout / 1000} s (the sandbox says: ${status}).`, { cause: error });
  }
  return tab.evaluate(find);
}

/**
 * Makes `EDITS` edits (select the version digit, type the next one) and
 * returns, per edit, keystroke → write completed and, with `preview`,
 * keystroke → the preview ran the new main.js.
 */
async function edit(tab, { preview }) {
  await tab.locator('code-sandbox .cm-line').first().click();
  await tab.keyboard.press('End');
  await tab.keyboard.press('ArrowLeft');
  const writes = [];
  const previews = [];
  for (let i = 1; i <= EDITS; i++) {
    const digit = i % 10;
    const [runs, written] = await tab.evaluate(() => [window.__bench.runs.length, window.__bench.writes.length]);
    await tab.keyboard.press('Shift+ArrowLeft');
    await tab.keyboard.type(String(digit));
    const write = await next(tab, 'writes', written, "(w) => w.path === 'main.js'");
    const key = await tab.evaluate(() => window.__bench.keys.at(-1));
    writes.push(write.at - key.at);
    if (preview) previews.push((await next(tab, 'runs', runs, `(r) => r.version === ${digit}`)).at - key.at);
    // The next edit waits until the reloaded preview has reconnected to Vite: a change Vite announces
    // while the page reloads is lost (Vite's, not the sandbox's), and that edit would never show.
    await tab.waitForTimeout(preview ? 1000 : 50);
  }
  return { writes, previews };
}

async function benchRemote(browser, stack) {
  const tab = await browser.newPage();
  await tab.goto(`${stack.pageUrl}/remote.html`);
  log('remote engine: starting the Vite dev server in a sandbox (installs vite)...');
  await tab.getByRole('button', { name: 'Run', exact: true }).click();
  await next(tab, 'runs', 0, '(r) => r.version === 0', 5 * 60_000);
  // Record when each write of an edit into the (booted) engine completes.
  await tab.evaluate(() => {
    const engine = document.querySelector('code-sandbox').container;
    const write = engine.writeFile.bind(engine);
    engine.writeFile = async (path, ...rest) => {
      await write(path, ...rest);
      window.__bench.writes.push({ path, at: performance.now() });
    };
  });
  log('remote engine: editing...');
  const { writes, previews } = await edit(tab, { preview: true });
  const reloads = [];
  for (let i = 0; i < EDITS; i++) {
    const runs = await tab.evaluate(() => window.__bench.runs.length);
    const started = await tab.evaluate(() => performance.now());
    await tab.getByRole('button', { name: 'Reload the preview' }).click();
    reloads.push((await next(tab, 'runs', runs, `(r) => r.version === ${EDITS % 10}`)).at - started);
  }
  await tab.close();
  return { preview: summary(previews), write: summary(writes), baselineReload: summary(reloads) };
}

async function benchStandIn(browser, stack) {
  const tab = await browser.newPage();
  // WebContainers need a cross-origin isolated page (?coi: COOP and COEP; the engine checks, as with the real API).
  await tab.goto(`${stack.pageUrl}/stand-in.html?coi`);
  log('browser engine (stand-in): starting its server...');
  await tab.waitForFunction(() => customElements.get('code-sandbox'), undefined, { timeout: 30_000 });
  await tab.getByRole('button', { name: 'Run', exact: true }).click();
  await tab.waitForFunction(() => document.querySelector('code-sandbox').statusMessage.startsWith('Dev server'), undefined, { timeout: 60_000 }).catch(async (error) => {
    const status = await tab.evaluate(() => document.querySelector('code-sandbox').statusMessage);
    throw new Error(`The stand-in's server did not start (the sandbox says: ${status}).`, { cause: error });
  });
  log('browser engine (stand-in): editing...');
  const { writes } = await edit(tab, { preview: false });
  await tab.close();
  return { write: summary(writes) };
}

/**
 * The server and the bench's pages (in a temporary folder, beside the CDN
 * build), served from loopback as `npm start` serves the demo: a page the
 * browser got from the network, so its requests to the server are ordinary ones.
 */
async function startStack() {
  const pages = mkdtempSync(join(tmpdir(), 'code-sandbox-edit-bench-'));
  register();
  const { createOrchestrator } = await import('../src/server/index.ts');
  const { outputFiles } = await build({
    entryPoints: [fileURLToPath(new URL('./support/stand-in-page.ts', import.meta.url))],
    bundle: true, format: 'esm', target: 'es2022', minify: true, write: false,
  });
  writeFileSync(join(pages, 'stand-in-bench.js'), outputFiles[0].contents);
  copyFileSync(fileURLToPath(new URL('../test/browser/support/stand-in-node-worker.js', import.meta.url)), join(pages, 'stand-in-node-worker.js'));
  writeFileSync(join(pages, 'stand-in.html'), standInPage);
  writeFileSync(join(pages, 'remote.html'), remotePage('%ORCHESTRATOR_URL%'));
  const substitutions = {};
  const server = createStaticServer({ mounts: { '/': pages, '/dist/cdn/': fileURLToPath(new URL('../dist/cdn/', import.meta.url)) }, substitutions });
  // A worker of a cross-origin isolated page needs COEP on its own script too (the static server sets it on pages only).
  const [serve] = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/stand-in-node-worker.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cross-origin-embedder-policy': 'require-corp' });
      res.end(readFileSync(join(pages, 'stand-in-node-worker.js')));
    } else serve(req, res);
  });
  const port = await listen(server, 0, '127.0.0.1');
  const pageUrl = `http://localhost:${port}`;
  const orchestrator = createOrchestrator({ allowedOrigins: [pageUrl], owner: OWNER, log: () => undefined });
  substitutions.ORCHESTRATOR_URL = await orchestrator.listen(0, '127.0.0.1');
  return {
    pageUrl,
    close: async () => {
      await orchestrator.close();
      server.closeAllConnections();
      server.close();
      rmSync(pages, { recursive: true, force: true });
    },
  };
}

async function main() {
  await setup(['docker', 'browsers']);
  await buildCdn();
  const stack = await startStack();
  const browser = await launchChromium();
  try {
    // BENCH_ENGINES=stand-in measures only the browser engine's stand-in (quick, no Docker needed).
    const remote = process.env.BENCH_ENGINES === 'stand-in' ? undefined : await benchRemote(browser, stack);
    if (remote) log(`remote engine: keystroke → preview median ${remote.preview.median} ms (reload alone ${remote.baselineReload.median} ms), → write ${remote.write.median} ms`);
    const standIn = await benchStandIn(browser, stack);
    const results = { date: new Date().toISOString(), edits: EDITS, goalMs: 150, remote, browserStandIn: standIn };
    console.log(`\nedit → preview, ${EDITS} edits of main.js (ms)             median    p95`);
    const row = (name, { median, p95 }) => console.log(`${name.padEnd(58)}${String(median).padStart(6)} ${String(p95).padStart(6)}`);
    if (remote) {
      row('remote engine (loopback), keystroke → preview ran the edit', remote.preview);
      row('  baseline: the preview reloaded, no edit', remote.baselineReload);
      row('remote engine, keystroke → write completed', remote.write);
    }
    row('browser engine (stand-in), keystroke → write completed', standIn.write);
    if (remote) console.log(`goal: edit → preview ≤ ${results.goalMs} ms; the remote figure is ${(remote.preview.median / remote.baselineReload.median).toFixed(2)}x the reload alone`);
    const out = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(out, { recursive: true });
    writeFileSync(`${out}edit-preview.json`, `${JSON.stringify(results, null, 2)}\n`);
    log('wrote bench/results/edit-preview.json');
  } finally {
    await browser.close();
    await stack.close();
  }
}

await main();
