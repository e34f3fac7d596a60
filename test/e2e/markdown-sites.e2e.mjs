// End to end: the Markdown plugins in the real frameworks. Installs VitePress,
// Astro Starlight and Docusaurus from the npm registry into temporary folders (pinned
// versions, nothing kept in the repo), builds a small site with each from
// test/fixtures/markdown/examples.md (VitePress with code-sandbox/markdown-it,
// Starlight and Docusaurus with code-sandbox/remark, imported through the
// package's exports map), serves the built output, and presses Run on its
// first example in Chromium against a real orchestrator on the real Docker engine,
// under mocha like the other suites. Prints the install and build times.
//
//   npx mocha --no-config --timeout 600000 test/e2e/markdown-sites.e2e.mjs [--grep vitepress]
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { launchChromium } from '../../scripts/playwright-chromium.mjs';
import { register } from 'tsx/esm/api';
import { buildCdn } from '../../scripts/build/cdn.mjs';
import { createStaticServer, listen } from '../../scripts/demo/static-server.mjs';
import { setup } from '../../scripts/start.mjs';
import { expect } from 'chai';
import { recordSandboxEvents, terminalShowing, waitFor } from './support.mjs';

const run = promisify(execFile);
const root = (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const OWNER = `markdown-e2e-${process.pid}`;
const FIXTURE = readFileSync(root('test/fixtures/markdown/examples.md'), 'utf8');
const log = (line) => console.log(`[e2e ${new Date().toTimeString().slice(0, 8)}] ${line}`);

/** The page-wide setup every site adds to its <head>: the element's script and the server's URL (filled in when served). */
const HEAD = { script: '/code-sandbox/code-sandbox.js', remoteUrl: '%ORCHESTRATOR_URL%' };

const SITES = [
  {
    name: 'vitepress',
    packages: ['vitepress@1.6.4'],
    files: {
      'docs/index.md': FIXTURE,
      'docs/.vitepress/config.mjs': `import codeSandbox from 'code-sandbox/markdown-it';
export default {
  title: 'Fixture',
  head: [
    ['meta', { name: 'code-sandbox:remote-url', content: '${HEAD.remoteUrl}' }],
    ['script', { type: 'module', src: '${HEAD.script}' }],
  ],
  markdown: { config: (md) => md.use(codeSandbox) },
  vue: { template: { compilerOptions: { isCustomElement: (tag) => tag === 'code-sandbox' } } },
};
`,
    },
    publicDir: 'docs/public',
    build: ['vitepress', 'build', 'docs'],
    outDir: 'docs/.vitepress/dist',
    highlighted: '.shiki',
  },
  {
    name: 'starlight',
    packages: ['astro@5.9.4', '@astrojs/starlight@0.37.7'],
    files: {
      'src/content/docs/index.md': FIXTURE.replace(/^# (.*)\n/, '---\ntitle: $1\n---\n'),
      'src/content.config.ts': `import { defineCollection } from 'astro:content';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
export const collections = { docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }) };
`,
      'astro.config.mjs': `import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import remarkCodeSandbox from 'code-sandbox/remark';
export default defineConfig({
  markdown: { remarkPlugins: [remarkCodeSandbox] },
  integrations: [starlight({
    title: 'Fixture',
    head: [
      { tag: 'meta', attrs: { name: 'code-sandbox:remote-url', content: '${HEAD.remoteUrl}' } },
      { tag: 'script', attrs: { type: 'module', src: '${HEAD.script}' } },
    ],
  })],
});
`,
    },
    publicDir: 'public',
    build: ['astro', 'build'],
    outDir: 'dist',
    highlighted: '.expressive-code',
  },
  {
    name: 'docusaurus',
    packages: ['@docusaurus/core@3.10.2', '@docusaurus/preset-classic@3.10.2', 'react@19.2.0', 'react-dom@19.2.0'],
    files: {
      'docs/index.md': FIXTURE,
      'docusaurus.config.mjs': `import remarkCodeSandbox from 'code-sandbox/remark';
export default {
  title: 'Fixture',
  url: 'http://localhost',
  baseUrl: '/',
  headTags: [{ tagName: 'meta', attributes: { name: 'code-sandbox:remote-url', content: '${HEAD.remoteUrl}' } }],
  scripts: [{ src: '${HEAD.script}', type: 'module' }],
  presets: [['classic', { docs: { routeBasePath: '/', beforeDefaultRemarkPlugins: [remarkCodeSandbox] }, blog: false }]],
};
`,
    },
    publicDir: 'static',
    build: ['docusaurus', 'build'],
    commonjs: true,
    outDir: 'build',
    highlighted: '.prism-code',
  },
];

/** Installs the framework (timed), writes the site, links this package in as `code-sandbox`, builds (timed). */
async function buildSite(site, folder) {
  // Docusaurus's server bundle breaks in an ESM package ("require.resolveWeak is not a function").
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ private: true, ...(site.commonjs ? {} : { type: 'module' }) }));
  let started = Date.now();
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...site.packages], { cwd: folder, maxBuffer: 1 << 26 });
  const install = (Date.now() - started) / 1000;
  symlinkSync(root(''), join(folder, 'node_modules', 'code-sandbox'));
  for (const [path, text] of Object.entries(site.files)) {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  // The CDN build, self-hosted: its entry and the chunks it loads on Run.
  cpSync(root('dist/cdn'), join(folder, site.publicDir, 'code-sandbox'), { recursive: true });
  started = Date.now();
  await run('npx', site.build, { cwd: folder, maxBuffer: 1 << 26 });
  const build = (Date.now() - started) / 1000;
  log(`${site.name}: npm install ${install.toFixed(0)} s, build ${build.toFixed(0)} s`);
}

describe('the Markdown plugins in real docs frameworks', function () {
  this.timeout(10 * 60_000);
  let browser;
  let createOrchestrator;

  before(async function () {
    this.timeout(20 * 60_000); // a fresh machine builds the image and installs the browsers first
    mkdirSync(root('test-results'), { recursive: true });
    await setup(['docker', 'agent', 'browsers']);
    await buildCdn();
    await run('npx', ['rollup', '-c'], { cwd: root(''), maxBuffer: 1 << 26 });
    register();
    ({ createOrchestrator } = await import('../../src/server/index.ts'));
    browser = await launchChromium();
  });
  after(() => browser?.close());

  for (const site of SITES) {
    describe(site.name, () => {
      let folder;
      const substitutions = {};
      let server;
      let orchestrator;
      let origin;
      let page;

      after(async () => {
        await page?.screenshot({ path: root(`test-results/markdown-${site.name}.png`), fullPage: true }).catch(() => undefined);
        await page?.close();
        await orchestrator?.close();
        server?.close();
        server?.closeAllConnections();
        if (folder) rmSync(folder, { recursive: true, force: true });
      });

      it('installs from the npm registry and builds the fixture with the plugin', async () => {
        folder = mkdtempSync(join(tmpdir(), `code-sandbox-${site.name}-`));
        await buildSite(site, folder);
        server = createStaticServer({ mounts: { '/': join(folder, site.outDir) }, substitutions });
        const port = await listen(server, 0, '127.0.0.1');
        origin = `http://localhost:${port}`;
        orchestrator = createOrchestrator({ allowedOrigins: [origin], owner: OWNER, log: () => undefined });
        substitutions.ORCHESTRATOR_URL = await orchestrator.listen(0, '127.0.0.1');
        page = await browser.newPage();
        await page.addInitScript(recordSandboxEvents);
      });

      it("has every example as <code-sandbox> in the built page, with the site's highlighted code inside", async function () {
        if (!page) this.skip(); // the build failed: its test says why
        await page.goto(`${origin}/`);
        await page.evaluate(() => customElements.whenDefined('code-sandbox'));
        expect(await page.locator('code-sandbox').count(), 'examples').to.equal(4);
        const greet = page.locator('code-sandbox#greet');
        expect(await greet.locator(site.highlighted).count(), `highlighted blocks (${site.highlighted})`).to.equal(2);
        expect(await greet.locator('pre[data-output]').innerText(), 'expected output').to.equal('Hello, docs!');
        expect(await page.locator('code-sandbox#waits').getAttribute('data-check'), 'skip marker').to.equal('skip');
        expect(await greet.locator('[part="warnings"]').count(), 'configuration problems shown').to.equal(0);
      });

      it('runs the two-file example on the server when Run is pressed, and prints its output', async function () {
        if (!page) this.skip();
        const greet = page.locator('code-sandbox#greet');
        await greet.scrollIntoViewIfNeeded();
        await greet.getByRole('button', { name: 'Run', exact: true }).click();
        const record = await waitFor(page, 'greet', 'exit', (r) => r.exits.length > 0, 120_000);
        expect(record.exits.at(-1), `exit code (output: ${record.output.slice(-300)})`).to.equal(0);
        expect(record.output, 'cs-output').to.contain('Hello, docs!');
        expect(await terminalShowing(page, 'greet', ['Hello, docs!']), 'terminal').to.contain('Hello, docs!');
      });
    });
  }
});
