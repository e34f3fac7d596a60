/**
 * code-sandbox/remote from a plain Node program: no WebSocket passed (Node 20 has
 * none; the engine takes `ws`), and no Lit loaded. A fresh process, so nothing
 * another test imported counts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Orchestrator } from '../../src/server/index.js';
import { startOrchestrator } from './support/orchestrator.js';

const run = promisify(execFile);

/** Runs `body` (top-level await allowed) as an ES module in a new Node process with tsx, from the repo root; returns its stdout. */
async function inNewNode(body: string): Promise<string> {
  const { stdout } = await run('node', ['--import', 'tsx', '--input-type=module', '-e', body], { cwd: process.cwd() });
  return stdout;
}

/** What a program prints about whether Lit was loaded (Lit registers its versions on globalThis when it loads). */
const LIT_LOADED = `console.log('lit loaded: ' + Boolean(globalThis.litHtmlVersions || globalThis.reactiveElementVersions));`;

describe('code-sandbox/remote in Node', function () {
  this.timeout(90_000);
  let orchestrator: Orchestrator;
  let url: string;

  before(async () => {
    ({ orchestrator, url } = await startOrchestrator());
  });
  after(() => orchestrator?.close());

  it('boots and runs a program without being given a WebSocket, and loads no Lit', async () => {
    const stdout = await inNewNode(`
      import { RemoteContainerEngine, collectText } from './src/remote/index.ts';
      console.log('global WebSocket: ' + (typeof globalThis.WebSocket));
      const engine = new RemoteContainerEngine({ url: ${JSON.stringify(url)} });
      try {
        await engine.boot();
        const run = await engine.exec('node', ['-e', 'console.log(6 * 7)']);
        console.log('printed ' + (await collectText(run.stream)).trim() + ', exit ' + (await run.exit));
      } finally {
        await engine.teardown();
      }
      ${LIT_LOADED}`);
    if (process.versions.node.startsWith('20.')) expect(stdout).to.contain('global WebSocket: undefined'); // so `ws` did the work
    expect(stdout).to.contain('printed 42, exit 0');
    expect(stdout).to.contain('lit loaded: false');
  });

  it('(the check above can fail:) the full entry, with the element, does load Lit', async () => {
    expect(await inNewNode(`await import('./src/index.ts'); ${LIT_LOADED}`)).to.contain('lit loaded: true');
  });
});
