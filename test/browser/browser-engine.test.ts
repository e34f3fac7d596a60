/**
 * What only the browser engine promises, against the in-page stand-in of
 * @webcontainer/api: one shared WebContainer per page, engines isolated in their
 * folders, boots that time out or fail without poisoning the next one, and the
 * WebContainer forms of the contract tests that cannot run as written.
 */
import { expect } from 'chai';
import { BrowserContainerEngine, type BrowserContainerEngineOptions } from '../../src/browser-engine/browser-container-engine.js';
import { collectText } from '../../src/engine/observable.js';
import type { PortEvent } from '../../src/engine/ports.js';
import { rejectionOf, waitForText } from '../contract/helpers.js';
import { assertWebContainerSupport } from '../../src/browser-engine/webcontainer-support.js';
import { WebContainerStandIn } from './support/webcontainer-stand-in.js';

const controls = WebContainerStandIn.controls;
let engines: BrowserContainerEngine[] = [];

function engine(options: BrowserContainerEngineOptions = {}): BrowserContainerEngine {
  const created = new BrowserContainerEngine({ api: WebContainerStandIn, ...options });
  engines.push(created);
  return created;
}

/** Lets a hanging boot finish (each test leaves the page as it found it). */
let answerHangingBoot = () => {};

/** A boot that hangs until `answer()`, like a WebContainer service that does not answer (yet). */
function hangingBoot(): { answer: () => void } {
  const answered = new Promise<void>((resolve) => (answerHangingBoot = resolve));
  controls.beforeBoot = () => answered;
  return { answer: () => answerHangingBoot() };
}

describe('BrowserContainerEngine (against an in-page stand-in of @webcontainer/api)', function () {
  this.timeout(30_000);

  beforeEach(() => {
    Object.assign(controls, { beforeBoot: undefined, boots: 0, teardowns: 0, lastBootOptions: undefined });
  });
  afterEach(async () => {
    answerHangingBoot();
    await new Promise((resolve) => setTimeout(resolve, 20)); // a boot nobody waits for any more is torn down
    await Promise.all(engines.map((each) => each.teardown()));
    engines = [];
    expect(WebContainerStandIn.current, 'the last teardown tore the WebContainer down').to.equal(undefined);
  });

  describe('one WebContainer per page', () => {
    it('boots once for two engines, keeps their files and processes apart, and the last teardown tears it down', async () => {
      const [a, b] = [engine(), engine()];
      await Promise.all([a.boot(), b.boot()]);
      expect(controls.boots).to.equal(1);
      expect(a.directory).not.to.equal(b.directory);

      await a.writeFile('same.txt', 'from a');
      await b.writeFile('same.txt', 'from b');
      await a.writeFile('only-a.txt', 'a');
      expect(await a.readFile('same.txt')).to.equal('from a');
      expect(await b.readFile('same.txt')).to.equal('from b');
      expect((await b.readdir('')).map((entry) => entry.name)).to.deep.equal(['same.txt']);
      expect(await rejectionOf(() => b.readFile('only-a.txt'))).to.have.property('code', 'FILE_NOT_FOUND');

      const where = await Promise.all([a, b].map(async (each) => (await collectText((await each.exec('node', ['-e', 'console.log(process.cwd())'])).stream)).trim()));
      expect(where).to.deep.equal([a, b].map((each) => `${WebContainerStandIn.current!.workdir}/${each.directory}`));

      const running = await a.exec('node', ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
      await waitForText(running.stream, (text) => text.includes('up'));
      await b.teardown();
      expect(controls.teardowns, 'a still holds the WebContainer').to.equal(0);
      expect(await a.readFile('same.txt')).to.equal('from a');
      const stillRunning = await Promise.race([running.exit, new Promise((resolve) => setTimeout(() => resolve('running'), 200))]);
      expect(stillRunning, 'b\'s teardown left a\'s process alone').to.equal('running');

      await a.teardown();
      expect(controls.teardowns).to.equal(1);
      expect(await running.exit).to.equal(137);
      expect(WebContainerStandIn.current).to.equal(undefined);
    });

    it('boots a new WebContainer after the last teardown', async () => {
      const first = engine();
      await first.boot();
      await first.teardown();
      const second = engine();
      await second.boot();
      expect(controls.boots).to.equal(2);
      expect(second.status).to.equal('ready');
    });

    it('passes coep, forwardPreviewErrors and workdirName through to boot', async () => {
      await engine({ coep: 'credentialless', forwardPreviewErrors: 'exceptions-only', workdirName: 'docs' }).boot();
      expect(controls.lastBootOptions).to.deep.equal({ coep: 'credentialless', forwardPreviewErrors: 'exceptions-only', workdirName: 'docs' });
      expect(WebContainerStandIn.current!.workdir).to.equal('/home/docs');
    });
  });

  describe('boot failures', () => {
    it('rejects a boot that hangs with BootTimeoutError in time, and a later boot gets the boot when it answers', async () => {
      const service = hangingBoot();
      const first = engine({ bootTimeout: 300 });
      const started = performance.now();
      const error = await rejectionOf(() => first.boot());
      expect(error).to.have.property('code', 'BOOT_TIMEOUT');
      expect(error.message).to.contain('300 ms').and.to.contain('remote-url');
      expect(performance.now() - started).to.be.below(2000);
      expect(first.status).to.equal('failed');

      const second = engine();
      const booting = second.boot({ timeout: 5000 });
      setTimeout(service.answer, 100);
      await booting;
      expect(second.status).to.equal('ready');
      expect(controls.boots, 'the second engine waited for the boot under way').to.equal(1);
    });

    it('does not let a failed boot poison the next one', async () => {
      controls.beforeBoot = async () => {
        controls.beforeBoot = undefined;
        throw new Error('Unable to create more instances');
      };
      const error = await rejectionOf(() => engine().boot());
      expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
      expect(error.message).to.contain('Unable to create more instances').and.to.contain('remote-url');
      const next = engine();
      await next.boot();
      expect(next.status).to.equal('ready');
      expect(controls.boots).to.equal(2);
    });

    it('tears down a WebContainer that answers after every engine gave up', async () => {
      const service = hangingBoot();
      expect(await rejectionOf(() => engine().boot({ timeout: 200 }))).to.have.property('code', 'BOOT_TIMEOUT');
      service.answer();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(controls.teardowns).to.equal(1);
      expect(WebContainerStandIn.current).to.equal(undefined);
    });

    it('refuses a browser without SharedArrayBuffer, and accepts a page without headers only with coep "none"', () => {
      expect(() => assertWebContainerSupport('none', { crossOriginIsolated: false, sharedArrayBuffer: false }))
        .to.throw(/Chromium-based browser.*remote-url/).with.property('code', 'ENGINE_UNAVAILABLE');
      expect(() => assertWebContainerSupport('credentialless', { crossOriginIsolated: false, sharedArrayBuffer: true })).to.throw(/cross-origin isolated/);
      expect(() => assertWebContainerSupport('none', { crossOriginIsolated: false, sharedArrayBuffer: true })).not.to.throw();
    });

    it('stops waiting when the caller aborts the boot', async () => {
      hangingBoot();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      expect(await rejectionOf(() => engine().boot({ signal: controller.signal }))).to.have.property('code', 'ABORTED');
    });
  });

  describe('a booted engine: processes on a WebContainer terminal, and workflows', () => {
    let sandbox: BrowserContainerEngine;
    beforeEach(async () => {
      sandbox = engine();
      await sandbox.boot();
    });

    it('reports exit codes, and 128 + N after kill(signal N)', async () => {
      expect(await (await sandbox.exec('node', ['-e', 'process.exit(3)'])).exit).to.equal(3);
      const run = await sandbox.exec('node', ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
      await waitForText(run.stream, (text) => text.includes('up'));
      await run.kill('SIGINT');
      expect(await run.exit).to.equal(130);
    });

    it('runs in its folder of the WebContainer, with cwd and env', async () => {
      await sandbox.writeFile('sub/marker.txt', 'm');
      const run = await sandbox.exec('node', ['-e', 'console.log(process.cwd(), process.env.GREETING)'], { cwd: 'sub', env: { GREETING: 'hi there' } });
      expect((await collectText(run.stream)).trim()).to.equal(`${WebContainerStandIn.current!.workdir}/${sandbox.directory}/sub hi there`);
    });

    it('merges stderr into the one output stream', async () => {
      const run = await sandbox.exec('node', ['-e', 'console.log("to-out"); console.error("to-err")']);
      const [out, err] = [collectText(run.stdout), collectText(run.stderr)];
      expect(await run.exit).to.equal(0);
      expect(await out).to.equal('to-out\r\nto-err\r\n');
      expect(await err).to.equal('');
    });

    it('types input on the terminal and resizes it', async () => {
      const run = await sandbox.exec('node', ['-e', `
        process.stdin.on('data', (d) => process.stdout.write('[' + String(d).toUpperCase() + ']'));
        process.stdout.on('resize', () => console.log('size ' + process.stdout.columns + 'x' + process.stdout.rows));`], { terminal: { cols: 80, rows: 24 } });
      await run.write('hello\n');
      await run.write(new TextEncoder().encode('again\n'));
      await waitForText(run.stream, (text) => text.includes('[HELLO\r\n]') && text.includes('[AGAIN\r\n]'));
      await run.resize({ cols: 120, rows: 40 });
      await waitForText(run.stream, (text) => text.includes('size 120x40'));
      await run.closeInput();
      await run.closeInput();
      await run.kill();
      expect(await run.exit).to.equal(143);
    });

    it('installs with npm in the engine\'s folder and streams the output', async () => {
      await sandbox.mount({
        'package.json': { file: { contents: JSON.stringify({ name: 'demo', dependencies: { 'local-lib': 'file:./lib' } }) } },
        lib: { directory: { 'package.json': { file: { contents: '{"name":"local-lib","main":"index.js"}' } } } },
      });
      let output = '';
      expect(await sandbox.installDependencies({ onOutput: (chunk) => (output += chunk) })).to.equal(0);
      expect(output).to.contain('$ npm install').and.to.contain('added 1 packages');
      expect(JSON.parse(await sandbox.readFile('node_modules/local-lib/package.json'))).to.have.property('name', 'local-lib');
    });

    it('installs with the lockfile\'s package manager and reports its exit code', async () => {
      await sandbox.mount({ 'package.json': { file: { contents: '{}' } }, 'pnpm-lock.yaml': { file: { contents: '' } } });
      let output = '';
      const code = await sandbox.installDependencies({ onOutput: (chunk) => (output += chunk) });
      expect(output).to.contain('$ pnpm install --frozen-lockfile');
      expect(code).to.equal(127); // the stand-in has no pnpm
    });

    it('refuses to install a Python project, saying where it can run', async () => {
      await sandbox.writeFile('requirements.txt', 'flask\n');
      const error = await rejectionOf(() => sandbox.installDependencies());
      expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
      expect(error.message).to.contain('Node.js only').and.to.contain('remote-url');
    });

    it('starts dev servers from server-ready, one port per engine on the page', async () => {
      const other = engine();
      await other.boot();
      const app = {
        'package.json': { file: { contents: JSON.stringify({ name: 'web', scripts: { start: 'node server.js' } }) } },
        'server.js': { file: { contents: `require('http').createServer(() => {}).listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT));` } },
      };
      await sandbox.mount(app);
      await other.mount(app);
      const [mine, theirs] = await Promise.all([sandbox.startDevServer(), other.startDevServer()]);
      expect([mine.port, theirs.port].sort()).to.deep.equal([3000, 3001]);
      expect(mine.url).to.contain(`--${mine.port}.`);
      expect(theirs.url).to.contain(`--${theirs.port}.`);
      expect(await waitForText(mine.logs, (text) => text.includes('listening'))).to.contain(`listening on ${mine.port}`);
      await mine.process.kill();
      expect(await mine.process.exit).to.equal(143);
    });

    it('finds a server on a port it was not told (port is a hint), and reports it in ports and openPorts', async () => {
      const events: PortEvent[] = [];
      const watch = sandbox.ports.subscribe((event) => events.push(event));
      try {
        await sandbox.mount({ 'server.js': { file: { contents: `require('http').createServer(() => {}).listen(3111, '127.0.0.1', () => console.log('up'));` } } });
        const server = await sandbox.startDevServer({ command: 'node server.js', port: 4000 });
        expect(server.port).to.equal(3111);
        expect(server.url).to.contain('--3111.');
        expect(sandbox.openPorts).to.include(3111);
        expect(events).to.deep.include({ port: 3111, state: 'open', url: server.url });
        await server.process.kill();
        await server.process.exit;
        expect(events.at(-1)).to.deep.include({ port: 3111, state: 'closed' });
        expect(sandbox.openPorts).not.to.include(3111);
      } finally {
        watch.unsubscribe();
      }
    });

    it('fails with DevServerError when no server becomes ready in time, and stops the process', async () => {
      const error = await rejectionOf(() => sandbox.startDevServer({ command: 'node -e "console.log(\'starting\'); setInterval(() => {}, 1000)"', timeout: 300 }));
      expect(error).to.have.property('code', 'DEV_SERVER_FAILED');
      expect(error.message).to.contain('port 3000').and.to.contain('starting');
      expect([...WebContainerStandIn.current!.processes]).to.deep.equal([]);
    });
  });
});
