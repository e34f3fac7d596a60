// End to end, under mocha: the demo pages in Debian's Chromium against the same
// stack as `npm start` (orchestrator on the real Docker engine, static server),
// on free ports. Presses Run on every example, checks its output, exit code and
// preview, and writes screenshots to test-results/.
//
//   npx mocha --no-config --timeout 600000 test/e2e/demo.e2e.mjs [--grep vite]
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { launchChromium } from '../../scripts/playwright-chromium.mjs';
import { buildCdn } from '../../scripts/build/cdn.mjs';
import { setup, startDemo } from '../../scripts/start.mjs';
import { EXAMPLES } from './demo-examples.mjs';
import { recordSandboxEvents, recorded } from './support.mjs';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const OWNER = `demo-e2e-${process.pid}`;

/** Containers of this run still on the Docker engine. */
function leftContainers() {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=dev.code-sandbox.owner=${OWNER}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const PAGES = [...new Set(EXAMPLES.map((example) => example.page))];

describe('the demo pages, end to end', function () {
  this.timeout(10 * 60_000);
  let demo;
  let browser;
  const stopStack = async () => {
    await browser?.close();
    browser = undefined;
    await demo?.close();
    demo = undefined;
  };

  before(async function () {
    this.timeout(20 * 60_000); // a fresh machine builds the image and installs the browsers first
    mkdirSync(RESULTS, { recursive: true });
    await setup(['docker', 'agent', 'images', 'browsers']);
    await buildCdn();
    demo = await startDemo({ port: 0, orchestratorPort: 0, owner: OWNER, quiet: !process.env.CS_ORCHESTRATOR_LOG });
    browser = await launchChromium();
  });
  after(stopStack);

  for (const path of PAGES) {
    describe(path, () => {
      const examples = EXAMPLES.filter((example) => example.page === path);
      const name = path.replace(/\W+/g, '-').replace(/^-|-$/g, '');
      let context;
      let page;
      const pageErrors = [];

      before(async () => {
        context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
        page = await context.newPage();
        // A step that cannot happen fails with Playwright's message instead of waiting forever.
        page.setDefaultTimeout(60_000);
        await page.addInitScript(recordSandboxEvents);
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await page.goto(`${demo.pageUrl}/${path}`);
        await page.evaluate(() => customElements.whenDefined('code-sandbox'));
      });
      after(async () => {
        await page?.screenshot({ path: `${RESULTS}${name}.png`, fullPage: true }).catch(() => undefined);
        await context?.close();
      });

      it('loads, and every example shows its code and no configuration problem', async () => {
        for (const { id } of examples) {
          const sandbox = page.locator(`code-sandbox#${id}`);
          await sandbox.getByRole('button', { name: 'Run', exact: true }).waitFor();
          const warnings = sandbox.locator('[part="warnings"]');
          expect(await warnings.count(), `#${id} lists configuration problems: ${await warnings.allInnerTexts()}`).to.equal(0);
        }
      });

      for (const example of examples) {
        it(`#${example.id}: ${example.title}`, async () => {
          const sandbox = page.locator(`code-sandbox#${example.id}`);
          await sandbox.scrollIntoViewIfNeeded();
          if (example.runFirst !== false) await sandbox.getByRole('button', { name: 'Run', exact: true }).click();
          try {
            await example.check({ page, sandbox, id: example.id });
            if (example.engine) expect((await recorded(page, example.id)).engines.at(-1)?.engine, 'engine').to.equal(example.engine);
          } finally {
            await sandbox.screenshot({ path: `${RESULTS}${name}-${example.id}.png` }).catch(() => undefined);
          }
        });
      }

      it('has no uncaught error on the page', () => {
        expect(pageErrors).to.deep.equal([]);
      });
    });
  }

  describe('docs.html on a phone (390 px, touch)', () => {
    it('gives every example nearly the full width, and a tap opens the editor', async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
      try {
        const page = await context.newPage();
        await page.goto(`${demo.pageUrl}/docs.html`);
        await page.evaluate(() => customElements.whenDefined('code-sandbox'));
        const widths = await page.locator('code-sandbox').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().width));
        for (const width of widths) expect(width, 'example width at 390 px').to.be.above(330);
        const sandbox = page.locator('code-sandbox#edit-me');
        await sandbox.locator('pre[data-file]').tap();
        await sandbox.locator('.cm-content').waitFor();
        await page.screenshot({ path: `${RESULTS}docs-html-phone.png`, fullPage: true });
      } finally {
        await context.close();
      }
    });
  });

  describe('stopping the stack', () => {
    it('leaves no sandbox container', async () => {
      await stopStack();
      expect(leftContainers()).to.deep.equal([]);
    });
  });
});
