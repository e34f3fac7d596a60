/**
 * RemoteContainerEngine in each browser engine (Chromium, Firefox, WebKit)
 * against the real orchestrator on real Docker (started by the wtr plugin).
 */
import { expect } from 'chai';
import { executeServerCommand } from '@web/test-runner-commands';
import { RemoteContainerEngine, type ContainerEngine } from '../../src/index.js';
import { containerEngineContract } from '../contract/container-engine.contract.js';
import { waitForText } from '../contract/helpers.js';

const { url } = (await (await fetch('/__orchestrator.json')).json()) as { url: string };
/** The launcher that opened this page (scripts/wtr/browsers.mjs names them). */
const browser = await executeServerCommand<string, undefined>('browser-under-test');

containerEngineContract(`RemoteContainerEngine in ${browser}`, {
  create: () => new RemoteContainerEngine({ url }),
  assertGone: async (engine: ContainerEngine) => {
    const id = (engine as RemoteContainerEngine).sessionId;
    expect(id).to.be.a('string');
    expect(await (await fetch(`/__orchestrator/sessions/${id}`)).json()).to.deep.equal({ exists: false, containers: 0 });
  },
  python: true,
  registry: true,
});

describe(`RemoteContainerEngine in ${browser}`, function () {
  this.timeout(60_000);

  it('runs an interactive shell on a pty over the browser\'s own WebSocket', async () => {
    const engine = new RemoteContainerEngine({ url, template: 'node' });
    await engine.boot();
    try {
      const shell = await engine.exec('bash', ['--norc', '-i'], { terminal: { cols: 90, rows: 20 } });
      await shell.write('echo $((6*7))\r');
      await waitForText(shell.stream, (text) => text.includes('42'));
      await shell.write('exit\r');
      expect(await shell.exit).to.equal(0);
    } finally {
      await engine.teardown();
    }
  });

  it('serves a dev server at a preview origin of its own that the browser reaches', async () => {
    const engine = new RemoteContainerEngine({ url });
    await engine.boot();
    try {
      await engine.writeFile('server.js', `require('http').createServer((q, s) => s.setHeader('access-control-allow-origin', '*').end('origin ok')).listen(process.env.PORT)`);
      const server = await engine.startDevServer({ command: 'node server.js' });
      const preview = new URL(server.url);
      expect(preview.hostname).to.match(/^[0-9a-f]{26}-3000\.localhost$/);
      expect(preview.origin).not.to.equal(location.origin);
      expect(await (await fetch(server.url)).text()).to.equal('origin ok');
    } finally {
      await engine.teardown();
    }
  });
});
