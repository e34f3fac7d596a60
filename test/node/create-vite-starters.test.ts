/**
 * Starters nobody on the team wrote: create-vite's vanilla and React templates,
 * fetched from the npm registry at test time (`npm pack create-vite@<pinned>`,
 * never committed) and run unmodified through RemoteContainerEngine on a real
 * orchestrator: install, `npm run dev` (no --host, --port or $PORT), the page in
 * the preview in Chromium, and its script runs (the counter counts). Vite binds
 * 127.0.0.1:5173 by itself; the sandbox agent finds that port, and the preview reaches it.
 */
import './support/localhost-resolver.js';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../scripts/playwright-chromium.mjs';
import type { DirectoryNode, FileSystemTree } from '../../src/index.js';
import { inferStack } from '../../src/engine/stack.js';
import type { Orchestrator } from '../../src/server/index.js';
import { containers, remoteEngine, startOrchestrator } from './support/orchestrator.js';

const run = promisify(execFile);
const CREATE_VITE = 'create-vite@9.3.0';

/** A template folder as a tree, as create-vite writes it (its `_gitignore` becomes `.gitignore`; nothing else changes). */
async function readTree(dir: string): Promise<FileSystemTree> {
  const tree: FileSystemTree = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const name = entry.name === '_gitignore' ? '.gitignore' : entry.name;
    if (entry.isDirectory()) tree[name] = { directory: await readTree(path) } satisfies DirectoryNode;
    else tree[name] = { file: { contents: new Uint8Array(await readFile(path)) } };
  }
  return tree;
}

describe(`${CREATE_VITE} starters, unmodified, through the remote engine (needs the resident agent)`, function () {
  this.timeout(300_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;
  let templates: string;
  let browser: Browser;

  before(async () => {
    templates = await mkdtemp(join(tmpdir(), 'create-vite-'));
    await run('npm', ['pack', CREATE_VITE, '--silent', '--pack-destination', templates]);
    await run('tar', ['-xzf', join(templates, `${CREATE_VITE.replace('@', '-')}.tgz`), '-C', templates]);
    ({ orchestrator, url, owner } = await startOrchestrator());
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await orchestrator?.close();
    if (templates) await rm(templates, { recursive: true, force: true });
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`), 'containers left behind').to.deep.equal([]);
  });

  for (const [template, heading] of [['vanilla', 'Get started'], ['react', 'Get started']] as const) {
    it(`${template}: installs, starts its dev server, shows its page and the counter counts`, async () => {
      const files = await readTree(join(templates, 'package', `template-${template}`));
      const engine = remoteEngine(url, { template: inferStack(Object.keys(files))! });
      try {
        await engine.boot();
        await engine.mount(files);
        let installLog = '';
        const installed = await engine.installDependencies({ onOutput: (chunk) => (installLog += chunk) });
        expect(installed, `npm install exit code; it printed: ${installLog.slice(-1000)}`).to.equal(0);
        const server = await engine.startDevServer();
        expect(server.port, 'the port Vite picked by itself').to.equal(5173);
        const page = await browser.newPage();
        try {
          await page.goto(server.url);
          await page.getByRole('heading', { name: heading }).waitFor({ timeout: 60_000 });
          const counter = page.getByRole('button', { name: /count is/i });
          await counter.waitFor();
          expect(await counter.textContent()).to.match(/count is 0/i);
          await counter.click();
          await page.getByRole('button', { name: /count is 1/i }).waitFor({ timeout: 10_000 });
        } finally {
          await page.close();
        }
      } finally {
        await engine.teardown();
      }
    });
  }
});
