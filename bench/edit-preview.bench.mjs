// `npm run bench` (part of it): edit → preview updated. A reader edits main.js
// of a Vite app that runs as a dev server in a <code-sandbox layout="preview">,
// in Debian's Chromium against the real server on loopback (the remote engine,
// the same stack as `npm start`). Each edit selects the version number in the
// editor and types a new digit; the figure runs from that keystroke (the
// page's keydown) until the preview's new document runs main.js with the new
// number (it posts a message to the page): the element's write-through, the
// wire, the sandbox's file write, Vite's reload and the preview's load.
// Median and p95 over BENCH_EDITS (20) edits. Baseline in the same run: the
// same reload with no edit (the preview's reload button), which is the part
// of the figure that belongs to Vite and the browser.
//
// The browser engine cannot take part here: WebContainers are out of reach of
// these machines, and the in-page stand-in the tests use serves no HTTP, so
// there is no preview to update; see the note it writes.
//
//   node bench/edit-preview.bench.mjs        (BENCH_EDITS to override)
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildCdn } from '../scripts/build/cdn.mjs';
import { setup, startDemo } from '../scripts/start.mjs';

const EDITS = Number(process.env.BENCH_EDITS ?? 20);
const OWNER = `bench-edit-${process.pid}`;
const BENCH_PAGE = 'edit-preview-bench.html';
const log = (line) => console.log(`[bench ${new Date().toTimeString().slice(0, 8)}] ${line}`);

/** The bench page: one Vite example whose main.js reports each run to the page, with the time. */
const page = (orchestratorUrl) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edit → preview bench</title>
<script type="module" src="/dist/cdn/code-sandbox.js"></script></head>
<body>
<code-sandbox id="vite" layout="preview" port="5173" remote-url="${orchestratorUrl}" persist="none" height="12rem">
<pre data-file="main.js">const version = 0;
document.querySelector('#v').textContent = \`version \${version}\`;
parent.postMessage({ version }, '*');</pre>
<template data-file="index.html"><!doctype html><p id="v">…</p><script type="module" src="/main.js"></script></template>
<script type="text/plain" data-file="package.json">{"private": true, "type": "module",
  "scripts": {"dev": "vite --host 0.0.0.0 --port $PORT --strictPort"}, "devDependencies": {"vite": "^6.4.0"}}</script>
</code-sandbox>
<script>
  // Clocks of the page: the last digit typed, and each run of main.js in the preview.
  window.__bench = { keys: [], runs: [] };
  addEventListener('keydown', (e) => { if (/^[0-9]$/.test(e.key)) __bench.keys.push({ key: e.key, at: performance.now() }); }, true);
  addEventListener('message', (e) => { if (typeof e.data?.version === 'number') __bench.runs.push({ version: e.data.version, at: performance.now() }); });
</script>
</body></html>`;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const p95 = (values) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)];

/** Waits until the preview has run main.js with `version` (after `since` runs); resolves with that run. */
async function nextRun(tab, since, version) {
  await tab.waitForFunction(([n, v]) => __bench.runs.slice(n).some((run) => run.version === v), [since, version], { timeout: 60_000, polling: 20 });
  return tab.evaluate(([n, v]) => __bench.runs.slice(n).find((run) => run.version === v), [since, version]);
}

async function main() {
  await setup(['docker', 'browsers']);
  await buildCdn();
  const demo = await startDemo({ port: 0, orchestratorPort: 0, owner: OWNER, quiet: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const tab = await browser.newPage();
    await tab.route(`${demo.pageUrl}/${BENCH_PAGE}`, (route) => route.fulfill({ contentType: 'text/html', body: page(demo.orchestratorUrl) }));
    await tab.goto(`${demo.pageUrl}/${BENCH_PAGE}`);
    const sandbox = tab.locator('code-sandbox#vite');
    log('starting the Vite dev server in a sandbox (installs vite)...');
    await sandbox.getByRole('button', { name: 'Run', exact: true }).click();
    await nextRun(tab, 0, 0);
    log('the preview runs; editing...');

    // Put the cursor after the version number: line 1, before the semicolon.
    await sandbox.locator('.cm-line').first().click();
    await tab.keyboard.press('End');
    await tab.keyboard.press('ArrowLeft');
    const edits = [];
    for (let i = 1; i <= EDITS; i++) {
      const digit = i % 10;
      const runs = await tab.evaluate(() => __bench.runs.length);
      await tab.keyboard.press('Shift+ArrowLeft');
      await tab.keyboard.type(String(digit));
      const run = await nextRun(tab, runs, digit);
      const key = await tab.evaluate(() => __bench.keys.at(-1));
      edits.push(run.at - key.at);
    }

    // Baseline: the same reload of the preview, without an edit.
    const reloads = [];
    for (let i = 0; i < EDITS; i++) {
      const runs = await tab.evaluate(() => __bench.runs.length);
      const started = await tab.evaluate(() => performance.now());
      await sandbox.getByRole('button', { name: 'Reload the preview' }).click();
      const run = await nextRun(tab, runs, EDITS % 10);
      reloads.push(run.at - started);
    }

    const results = {
      date: new Date().toISOString(),
      edits: EDITS,
      remote: { median: median(edits), p95: p95(edits), samples: edits.map((ms) => Math.round(ms)) },
      baselineReload: { median: median(reloads), p95: p95(reloads) },
      goalMs: 150,
      browserEngine: 'not measured: the stand-in serves no HTTP, so it has no preview; WebContainers are out of reach here',
    };
    console.log(`\nedit → preview updated (Vite, remote engine over loopback), ${EDITS} edits`);
    console.log(`  median ${results.remote.median.toFixed(0)} ms, p95 ${results.remote.p95.toFixed(0)} ms (goal ≤ ${results.goalMs} ms)`);
    console.log(`  baseline, the preview reloaded without an edit: median ${results.baselineReload.median.toFixed(0)} ms, p95 ${results.baselineReload.p95.toFixed(0)} ms`);
    console.log(`  ratio ${(results.remote.median / results.baselineReload.median).toFixed(2)}x the reload alone`);
    const out = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(out, { recursive: true });
    writeFileSync(`${out}edit-preview.json`, `${JSON.stringify(results, null, 2)}\n`);
    log('wrote bench/results/edit-preview.json');
  } finally {
    await browser.close();
    await demo.close();
  }
}

await main();
