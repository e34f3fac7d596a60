/**
 * Dev servers as people write them, with content nobody here wrote (packages
 * from the npm registry, installed in the sandbox): the WebContainer tutorial
 * app (Express + nodemon, `app.listen(3111)`, no $PORT) and Vite bound to
 * 127.0.0.1, through the local engine and through a remote engine whose
 * previews live on another domain. The agent finds whatever port they open.
 */
import './support/localhost-resolver.js';
import { request } from 'node:http';
import { expect } from 'chai';
import type { ContainerEngine, PortEvent } from '../../src/index.js';
import { LocalContainerEngine } from '../../src/server/index.js';
import { until } from '../contract/helpers.js';
import { IMAGE, remoteEngine, runtimeOption, startOrchestrator, testOwner } from './support/orchestrator.js';

/** The WebContainer tutorial's app (webcontainers.io/tutorial), as its readers type it. */
const TUTORIAL_APP = {
  'package.json': {
    file: {
      contents: JSON.stringify({
        name: 'example-app',
        type: 'module',
        dependencies: { express: '4.21.2', nodemon: '3.1.9' },
        scripts: { start: 'nodemon index.js' },
      }),
    },
  },
  'index.js': {
    file: {
      contents: `import express from 'express';
const app = express();
const port = 3111;

app.get('/', (req, res) => {
  res.send('Welcome to a WebContainers app! 🥳');
});

app.listen(port, () => {
  console.log(\`App is live at http://localhost:\${port}\`);
});`,
    },
  },
};

/** A Vite project as create-vite's vanilla template has it (Vite's own default: 127.0.0.1:5173, host checks on). */
const VITE_APP = {
  'package.json': { file: { contents: JSON.stringify({ name: 'vite-app', private: true, type: 'module', scripts: { dev: 'vite' }, devDependencies: { vite: '5.4.19' } }) } },
  'index.html': { file: { contents: '<!doctype html><html><body><div id="app"></div><script type="module" src="/main.js"></script></body></html>' } },
  'main.js': { file: { contents: "document.querySelector('#app').textContent = 'Hello Vite!';" } },
};

async function installAndServe(engine: ContainerEngine, files: typeof TUTORIAL_APP | typeof VITE_APP) {
  await engine.mount(files);
  let output = '';
  const code = await engine.installDependencies({ onOutput: (chunk) => (output += chunk) });
  expect(code, `npm install failed:\n${output}`).to.equal(0);
  return engine.startDevServer({ timeout: 120_000 });
}

describe('dev servers on any port', function () {
  this.timeout(10 * 60_000);

  it('runs the WebContainer tutorial app (Express + nodemon on 3111) on the local engine', async () => {
    const engine = new LocalContainerEngine({ image: IMAGE, owner: testOwner('tutorial'), ...runtimeOption });
    await engine.boot();
    try {
      const server = await installAndServe(engine, TUTORIAL_APP);
      expect(server.port).to.equal(3111);
      expect(await (await fetch(server.url)).text()).to.equal('Welcome to a WebContainers app! 🥳');
      expect(engine.openPorts).to.include(3111);
    } finally {
      await engine.teardown();
    }
  });

  describe('through the orchestrator, previews on another domain', () => {
    let close: () => Promise<void>;
    let url: string;

    before(async () => {
      const started = await startOrchestrator({ previewUrl: 'https://{session}-{port}.preview.example.com/' });
      url = started.url;
      close = () => started.orchestrator.close();
    });
    after(async () => close?.());

    /** GET through the orchestrator with the Host a browser on the preview domain sends. */
    function previewGet(previewUrl: string, path = '/'): Promise<{ status: number; body: string }> {
      const target = new URL(url);
      return new Promise((resolve, reject) => {
        const req = request({ host: target.hostname, port: target.port, path, headers: { host: new URL(previewUrl).host } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    }

    it('runs the tutorial app on the remote engine, and tells the reader about its port', async () => {
      const engine = remoteEngine(url);
      await engine.boot();
      try {
        const events: PortEvent[] = [];
        engine.ports.subscribe((event) => events.push(event));
        const server = await installAndServe(engine, TUTORIAL_APP);
        expect(server.port).to.equal(3111);
        expect(server.url).to.equal(`https://${engine.sessionId}-3111.preview.example.com/`);
        expect(await previewGet(server.url)).to.deep.equal({ status: 200, body: 'Welcome to a WebContainers app! 🥳' });
        await until('the port event', async () => events.find((event) => event.port === 3111 && event.state === 'open'));
        expect(events.find((event) => event.port === 3111)!.url).to.equal(server.url);
        expect(engine.openPorts).to.include(3111);
      } finally {
        await engine.teardown();
      }
    });

    it('previews an unmodified Vite dev server (127.0.0.1:5173, host checks on) on the preview domain', async () => {
      const engine = remoteEngine(url);
      await engine.boot();
      try {
        const server = await installAndServe(engine, VITE_APP);
        expect(server.port).to.equal(5173);
        const page = await previewGet(server.url);
        expect(page.status, page.body).to.equal(200);
        expect(page.body).to.contain('/@vite/client');
        const script = await previewGet(server.url, '/main.js');
        expect(script.body).to.contain('Hello Vite!');
      } finally {
        await engine.teardown();
      }
    });
  });
});
