// End to end: the demo pages in Debian's Chromium against the same stack as
// `npm start` (orchestrator on the real Docker engine, static server), on free
// ports. Presses Run on every example, checks its output, exit code and
// preview, and writes screenshots to test-results/. Ends with "N passed, N
// failed" and writes {passes, failures, pending} to $CS_TEST_STATS.
//
//   node test/e2e/demo.e2e.mjs [filter]     (filter: a page or example id, e.g. "vite")
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildCdn } from '../../scripts/build/cdn.mjs';
import { setup, startDemo } from '../../scripts/start.mjs';
import { EXAMPLES } from './demo-examples.mjs';
import { expect } from './expect.mjs';
import { recordSandboxEvents, recorded } from './support.mjs';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const OWNER = `demo-e2e-${process.pid}`;
const filter = process.argv[2];
const stats = { passes: 0, failures: 0, pending: 0 };
const log = (line) => console.log(`[e2e ${new Date().toTimeString().slice(0, 8)}] ${line}`);

/** Containers of this run still on the Docker engine. */
function leftContainers() {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=dev.code-sandbox.owner=${OWNER}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    stats.passes++;
    log(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    stats.failures++;
    log(`✗ ${name}\n    ${String(error.stack ?? error).split('\n').slice(0, 6).join('\n    ')}`);
  }
}

/** The docs page on a phone (390 px, touch): examples get the width, and a tap opens the editor. */
async function phoneChecks(browser, pageUrl) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await test('docs.html at 390 px: every example is nearly the full width, and a tap opens the editor', async () => {
    await page.goto(`${pageUrl}/docs.html`);
    await page.evaluate(() => customElements.whenDefined('code-sandbox'));
    const widths = await page.locator('code-sandbox').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().width));
    for (const width of widths) expect(width, 'example width at 390 px').toBeGreaterThan(330);
    const sandbox = page.locator('code-sandbox#edit-me');
    await sandbox.locator('pre[data-file]').tap();
    await sandbox.locator('.cm-content').waitFor();
    await page.screenshot({ path: `${RESULTS}docs-html-phone.png`, fullPage: true });
  });
  await context.close();
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  await setup(['docker', 'browsers']);
  log('building the CDN bundle...');
  await buildCdn();
  const demo = await startDemo({ port: 0, orchestratorPort: 0, owner: OWNER, quiet: !process.env.CS_ORCHESTRATOR_LOG });
  log(`demo on ${demo.pageUrl}, sandbox server on ${demo.orchestratorUrl}`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const pages = [...new Set(EXAMPLES.map((example) => example.page))];
    for (const path of pages) {
      const examples = EXAMPLES.filter((example) => example.page === path && (!filter || path.includes(filter) || example.id === filter));
      if (!examples.length) continue;
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      const page = await context.newPage();
      // A step that cannot happen fails with Playwright's message instead of waiting forever.
      page.setDefaultTimeout(60_000);
      await page.addInitScript(recordSandboxEvents);
      const consoleErrors = [];
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      const name = path.replace(/\W+/g, '-').replace(/^-|-$/g, '');
      await test(`${path}: loads, every example shows its code and no configuration problem`, async () => {
        await page.goto(`${demo.pageUrl}/${path}`);
        await page.evaluate(() => customElements.whenDefined('code-sandbox'));
        for (const { id } of examples) {
          const sandbox = page.locator(`code-sandbox#${id}`);
          await sandbox.getByRole('button', { name: 'Run', exact: true }).waitFor();
          if ((await sandbox.locator('[part="warnings"]').count()) > 0) {
            throw new Error(`#${id} lists configuration problems: ${await sandbox.locator('[part="warnings"]').innerText()}`);
          }
        }
      });
      for (const example of examples) {
        await test(`${path} #${example.id}: ${example.title}`, async () => {
          const sandbox = page.locator(`code-sandbox#${example.id}`);
          await sandbox.scrollIntoViewIfNeeded();
          if (example.runFirst !== false) await sandbox.getByRole('button', { name: 'Run', exact: true }).click();
          try {
            await example.check({ page, sandbox, id: example.id });
            if (example.engine) expect((await recorded(page, example.id)).engines.at(-1)?.engine, 'engine').toBe(example.engine);
          } finally {
            await sandbox.screenshot({ path: `${RESULTS}${name}-${example.id}.png` }).catch(() => undefined);
          }
        });
      }
      await page.screenshot({ path: `${RESULTS}${name}.png`, fullPage: true }).catch(() => undefined);
      await test(`${path}: no uncaught error on the page`, async () => {
        if (consoleErrors.length) throw new Error(consoleErrors.join('\n'));
      });
      await context.close();
    }
    if (!filter || filter === 'phone' || filter.startsWith('docs')) await phoneChecks(browser, demo.pageUrl);
  } finally {
    await browser.close();
    log('stopping the stack...');
    await demo.close();
  }
  await test('stopping the stack leaves no sandbox container', async () => {
    const left = leftContainers();
    if (left.length) throw new Error(`${left.length} container(s) left: ${left.join(' ')}`);
  });
}

try {
  await main();
} catch (error) {
  stats.failures++;
  log(`✗ the e2e run could not go on: ${error.stack ?? error}`);
}
if (process.env.CS_TEST_STATS) writeFileSync(process.env.CS_TEST_STATS, JSON.stringify(stats));
console.log(`\n${stats.passes} passed, ${stats.failures} failed`);
process.exit(stats.failures === 0 && stats.passes > 0 ? 0 : 1);
