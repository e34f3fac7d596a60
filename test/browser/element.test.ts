/**
 * <code-sandbox> behaviour: selection wiring and reasons, fallback, status and
 * events, terminal, controls, accessibility. Engines here are the TEST DOUBLE
 * (element-support/test-double-engine.ts), except the fallback test that boots
 * the real BrowserContainerEngine on this page, which is not cross-origin isolated.
 */
import { aTimeout, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/define.js';
import type { CodeSandboxElement } from '../../src/element/code-sandbox.js';
import { loadEngine } from '../../src/element/engine-loader.js';
import { previewSandbox } from '../../src/element/controllers/preview-controller.js';
import type { EngineEnvironment } from '../../src/selection/select-engine.js';
import { part, terminalText } from './element-support/sandbox-dom.js';
import { TestDoubleEngine, testDoubleFactory, type TestDoubleBehaviour } from './element-support/test-double-engine.js';

const chromiumIsolated: EngineEnvironment = { family: 'chromium', crossOriginIsolated: true, sharedArrayBuffer: true };
const safari: EngineEnvironment = { family: 'webkit', crossOriginIsolated: false, sharedArrayBuffer: false };
const REMOTE = 'http://127.0.0.1:1';


/** An element wired to test doubles (and optionally a forced environment), not yet run. */
async function sandbox(
  template = html`<code-sandbox remote-url=${REMOTE}><script type="text/plain" data-file="index.js">console.log(1)</script></code-sandbox>`,
  { environment, behaviours }: { environment?: EngineEnvironment; behaviours?: Partial<Record<'browser' | 'remote', TestDoubleBehaviour>> } = {},
): Promise<CodeSandboxElement> {
  const el = await fixture<CodeSandboxElement>(template);
  el.engineFactory = testDoubleFactory(behaviours);
  if (environment) el.environment = environment;
  return el;
}

/** Records every error that escapes to the window while `body` runs. */
async function uncaught(body: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const onError = (event: ErrorEvent) => errors.push(event.error);
  const onRejection = (event: PromiseRejectionEvent) => errors.push(event.reason);
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  try {
    await body();
    await aTimeout(50);
  } finally {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  }
  return errors;
}

beforeEach(() => {
  TestDoubleEngine.created = [];
});

describe('<code-sandbox> engine selection', () => {
  it('runs a Node example in the browser engine where it can, and says why', async () => {
    const el = await sandbox(undefined, { environment: chromiumIsolated });
    const selected = oneEvent(el, 'cs-engine-selected');
    await el.run();
    expect((await selected).detail).to.deep.equal({
      engine: 'browser',
      reason: 'Running in your browser (WebContainers): this page can run Node.js in your browser.',
    });
    expect(TestDoubleEngine.created.map((e) => e.kind)).to.deep.equal(['browser']);
    expect(part(el, 'engine').textContent).to.equal('Running in your browser (WebContainers): this page can run Node.js in your browser.');
  });

  it('runs on the server in Safari and says so', async () => {
    const el = await sandbox(undefined, { environment: safari });
    await el.run();
    expect(el.selection).to.deep.equal({ engine: 'remote', reason: "Running on a server: Safari can't run WebContainers." });
    expect(part(el, 'engine').textContent).to.equal("Running on a server: Safari can't run WebContainers.");
  });

  it('reads this page as it is (Chromium, not cross-origin isolated) and picks the server', async () => {
    const el = await sandbox();
    await el.run();
    expect(el.selection).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: this page is not cross-origin isolated, which WebContainers need.',
    });
  });

  it('shows an actionable message for a Python example with no remote engine, and throws nothing', async () => {
    const el = await sandbox(html`<code-sandbox><pre data-file="main.py">print("hi")</pre></code-sandbox>`, { environment: chromiumIsolated });
    let error: CustomEvent | undefined;
    const errors = await uncaught(async () => {
      const failed = oneEvent(el, 'cs-error');
      el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="run-button"]')!.click();
      error = await failed;
    });
    expect(errors).to.deep.equal([]);
    const message =
      'This example needs Python, which WebContainers cannot run; set remote-url (or a page-wide <meta name="code-sandbox:remote-url" content="...">) to run it on a server.';
    expect(error!.detail.message).to.equal(message);
    expect(el.status).to.equal('error');
    expect(part(el, 'status').textContent).to.equal(message);
    expect(TestDoubleEngine.created).to.have.length(0);
  });

  it('runs a Python example on the remote engine', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE}><pre data-file="main.py">print("hi")</pre></code-sandbox>`, {
      environment: chromiumIsolated,
    });
    const exited = oneEvent(el, 'cs-exit');
    await el.run();
    expect((await exited).detail).to.deep.equal({ code: 0 });
    expect(el.selection?.engine).to.equal('remote');
    expect(TestDoubleEngine.created[0]!.calls).to.include('exec python3 main.py');
  });
});

describe('<code-sandbox> fallback from the browser engine', () => {
  it('falls back to the server when the browser engine fails to boot, and tells the reader', async () => {
    const el = await sandbox(undefined, { environment: chromiumIsolated, behaviours: { browser: { boot: 'fail' } } });
    const selections: unknown[] = [];
    el.addEventListener('cs-engine-selected', (event) => selections.push(event.detail));
    const exited = oneEvent(el, 'cs-exit');
    await el.run();
    expect((await exited).detail.code).to.equal(0);
    const reason = 'Running on a server: the in-browser engine could not start (The test double refuses to boot).';
    expect(selections).to.deep.equal([
      { engine: 'browser', reason: 'Running in your browser (WebContainers): this page can run Node.js in your browser.', },
      { engine: 'remote', reason },
    ]);
    expect(part(el, 'engine').textContent).to.equal(reason);
    const [browser, remote] = TestDoubleEngine.created;
    expect(browser!.calls).to.deep.equal(['boot', 'teardown']);
    expect(remote!.calls).to.include('exec node index.js');
    await waitUntil(() => terminalText(el).includes('the in-browser engine could not start'), 'the terminal tells the reader');
  });

  it('falls back when the browser engine hangs past boot-timeout', async () => {
    const el = await sandbox(
      html`<code-sandbox remote-url=${REMOTE} boot-timeout="300"><script type="text/plain" data-file="index.js">1</script></code-sandbox>`,
      { environment: chromiumIsolated, behaviours: { browser: { boot: 'hang' } } },
    );
    const started = performance.now();
    await el.run();
    expect(performance.now() - started).to.be.below(5000);
    expect(el.selection).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: the in-browser engine could not start (The test double did not boot within 300 ms).',
    });
  });

  it('falls back from the real BrowserContainerEngine, which refuses this non-isolated page', async () => {
    const el = await sandbox(undefined, { environment: chromiumIsolated });
    const doubles = testDoubleFactory();
    el.engineFactory = (kind, options) => (kind === 'browser' ? loadEngine(kind, options) : doubles(kind, options));
    await el.run();
    expect(el.selection?.engine).to.equal('remote');
    expect(el.selection?.reason).to.match(/^Running on a server: the in-browser engine could not start \(.*cross-origin isolated/i);
    expect(TestDoubleEngine.created.map((e) => e.kind)).to.deep.equal(['remote']);
  });

  it('Stop cancels a boot in progress, and the next Run boots afresh', async () => {
    let hang = true;
    const el = await sandbox();
    el.engineFactory = async (kind) => new TestDoubleEngine(kind, hang ? { boot: 'hang' } : {});
    const running = el.run();
    await waitUntil(() => el.status === 'booting');
    await el.stop();
    await running;
    expect(el.status).to.equal('idle');
    expect(TestDoubleEngine.created[0]!.calls).to.deep.equal(['boot', 'teardown']);
    hang = false;
    await el.run();
    await waitUntil(() => el.status === 'exited');
    expect(TestDoubleEngine.created).to.have.length(2);
  });

  it('without a remote engine, shows why the browser engine failed', async () => {
    const el = await sandbox(html`<code-sandbox><script type="text/plain" data-file="index.js">1</script></code-sandbox>`, {
      environment: chromiumIsolated,
      behaviours: { browser: { boot: 'fail' } },
    });
    await el.run();
    expect(el.status).to.equal('error');
    expect(part(el, 'status').textContent).to.contain('The test double refuses to boot');
  });
});

describe('<code-sandbox> runs, status and events', () => {
  it('reports booting, running and the exit code through cs-status and an aria-live region', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="node fail.js"></code-sandbox>`, {
      behaviours: { remote: { onExec: (p) => setTimeout(() => p.end(3), 50) } },
    });
    const statuses: string[] = [];
    el.addEventListener('cs-status', (event) => statuses.push(`${event.detail.status}: ${event.detail.message}`));
    const exited = oneEvent(el, 'cs-exit');
    await el.run();
    expect((await exited).detail.code).to.equal(3);
    await el.updateComplete;
    expect(statuses).to.deep.equal([
      'booting: Starting a sandbox on the server…',
      'booting: Copying the files…',
      'running: Running node fail.js',
      'exited: Exited with code 3',
    ]);
    const status = part(el, 'status');
    expect(status.getAttribute('aria-live')).to.equal('polite');
    expect(status.getAttribute('role')).to.equal('status');
    expect(status.textContent).to.equal('Exited with code 3');
  });

  it('previews the port the command opens (the port attribute\'s), tells the page about every port, and drops the preview at exit', async () => {
    let end = (_code: number) => {};
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="node serve.js" port="5000"></code-sandbox>`, {
      behaviours: {
        remote: {
          onExec: (p, engine) => {
            end = (code) => p.end(code);
            engine.port({ port: 9229, state: 'open', url: 'http://s-9229.localhost/' });
            engine.port({ port: 5000, state: 'open', url: 'http://s-5000.localhost/' });
          },
        },
      },
    });
    const ports: unknown[] = [];
    el.addEventListener('cs-port', (event) => ports.push(event.detail));
    const ready = oneEvent(el, 'cs-server-ready');
    await el.run();
    expect((await ready).detail).to.deep.equal({ url: 'http://s-5000.localhost/', port: 5000 });
    expect(ports).to.deep.equal([
      { port: 9229, state: 'open', url: 'http://s-9229.localhost/' },
      { port: 5000, state: 'open', url: 'http://s-5000.localhost/' },
    ]);
    await el.updateComplete;
    expect((part(el, 'frame') as HTMLIFrameElement).src).to.equal('http://s-5000.localhost/');
    expect(part(el, 'terminal').hidden).to.equal(false);
    end(0);
    await oneEvent(el, 'cs-exit');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part~="frame"]')).to.equal(null);
  });

  it('installs dependencies once when the files have a manifest, and shows a failed install', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE}><script type="text/plain" data-file="package.json">{"scripts":{"start":"node x"}}</script></code-sandbox>`);
    await el.run();
    await el.run();
    const engine = TestDoubleEngine.created[0]!;
    expect(engine.calls.filter((c) => c.startsWith('install'))).to.deep.equal(['install']);
    expect(engine.calls.filter((c) => c.startsWith('exec'))).to.deep.equal(['exec npm start', 'exec npm start']);

    const failing = await sandbox(html`<code-sandbox remote-url=${REMOTE} install="pip install nope"><pre data-file="main.py">1</pre></code-sandbox>`, {
      behaviours: { remote: { installCode: 1 } },
    });
    await failing.run();
    expect(failing.status).to.equal('error');
    expect(part(failing, 'status').textContent).to.match(/^Installing dependencies failed with exit code 1/);
    expect(TestDoubleEngine.created[1]!.calls).to.include('install pip install nope');
  });

  it('emits cs-output and events that bubble and cross shadow roots', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = `<code-sandbox remote-url="${REMOTE}" command="node index.js"></code-sandbox>`;
    const el = root.querySelector('code-sandbox')!;
    el.engineFactory = testDoubleFactory();
    const seen: string[] = [];
    for (const type of ['cs-engine-selected', 'cs-status', 'cs-output', 'cs-exit'] as const) {
      document.addEventListener(type, (event) => {
        expect(event.bubbles && event.composed).to.equal(true);
        seen.push(type);
      });
    }
    const output = oneEvent(el, 'cs-output');
    await el.run();
    expect((await output).detail.data).to.equal('\x1b[2m$ node index.js\x1b[0m\r\n');
    await waitUntil(() => seen.includes('cs-exit'));
    expect(new Set(seen)).to.deep.equal(new Set(['cs-engine-selected', 'cs-status', 'cs-output', 'cs-exit']));
  });

  it('Stop kills the process; Restart runs again on the same engine; Reset puts the files back', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="node server.js"><pre data-file="server.js">x</pre></code-sandbox>`, {
      behaviours: { remote: { onExec: (p) => p.print('serving\n') } },
    });
    await el.run();
    expect(el.status).to.equal('running');
    await el.updateComplete;
    expect(part(el, 'stop-button').hasAttribute('disabled')).to.equal(false);
    const exited = oneEvent(el, 'cs-exit');
    part(el, 'stop-button').click();
    expect((await exited).detail.code).to.equal(143);
    const engine = TestDoubleEngine.created[0]!;
    expect(engine.processes[0]!.signals).to.deep.equal(['SIGTERM']);
    await el.run();
    await el.restart();
    expect(engine.processes).to.have.length(3);
    expect(engine.processes[1]!.signals).to.deep.equal(['SIGTERM']);
    await engine.writeFile('server.js', 'changed');
    await el.reset();
    expect(engine.files.get('server.js')).to.equal('x');
    expect(el.status).to.equal('idle');
    expect(TestDoubleEngine.created).to.have.length(1);
  });

  it('boots a new engine when the kept one is no longer ready', async () => {
    const el = await sandbox();
    await el.run();
    await el.container!.teardown();
    await el.run();
    await waitUntil(() => el.status === 'exited');
    expect(TestDoubleEngine.created).to.have.length(2);
    expect(el.container).to.equal(TestDoubleEngine.created[1]);
    expect(TestDoubleEngine.created[1]!.calls).to.include('exec node index.js');
  });

  it('exec() runs another process in the booted sandbox', async () => {
    const el = await sandbox();
    const process = await el.exec('ls', ['-la']);
    expect(await process.exit).to.equal(0);
    expect(el.container).to.equal(TestDoubleEngine.created[0]);
    expect(TestDoubleEngine.created[0]!.calls).to.include('exec ls -la');
  });

  it('says what to do when there is nothing to run', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE}><pre data-file="README.md">hi</pre></code-sandbox>`);
    await el.run();
    expect(part(el, 'status').textContent).to.equal(
      'Nothing to run: add a command attribute (such as command="node index.js") or an entry file such as index.js.',
    );
  });

  it('runs by itself with run-on="load"', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${REMOTE} run-on="load" command="node a.js"></code-sandbox>`);
    // the factory is swapped before the first run can reach it (the run awaits the terminal first)
    el.engineFactory = testDoubleFactory();
    await waitUntil(() => el.status === 'exited', 'it ran', { timeout: 10_000 });
  });
});

describe('<code-sandbox> terminal', () => {
  it('loads xterm only on Run, prints the output, and opens one terminal again after re-attaching', async () => {
    const el = await sandbox();
    expect(el.shadowRoot!.querySelector('.xterm')).to.equal(null);
    await el.run();
    await waitUntil(() => terminalText(el).includes('ran node index.js'), 'output in the terminal');
    expect(el.shadowRoot!.querySelectorAll('.xterm')).to.have.length(1);
    expect(el.shadowRoot!.adoptedStyleSheets.some((sheet) => [...sheet.cssRules].some((r) => r.cssText.startsWith('.xterm')))).to.equal(true);

    const parent = el.parentElement!;
    el.remove();
    await aTimeout(0);
    expect(TestDoubleEngine.created[0]!.calls.at(-1)).to.equal('teardown');
    parent.append(el);
    await el.run();
    expect(el.shadowRoot!.querySelectorAll('.xterm')).to.have.length(1);
    expect(TestDoubleEngine.created).to.have.length(2);
  });

  it('keeps the terminal and the engine when the element only moves within the page', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="node s.js"></code-sandbox>`, {
      behaviours: { remote: { onExec: (p) => p.print('up\n') } },
    });
    await el.run();
    const xterm = el.shadowRoot!.querySelector('.xterm');
    document.body.append(el);
    await aTimeout(0);
    expect(el.shadowRoot!.querySelector('.xterm')).to.equal(xterm);
    expect(el.status).to.equal('running');
    expect(TestDoubleEngine.created[0]!.calls).not.to.include('teardown');
    el.remove();
  });

  it('sends typed keys to the process and sizes its terminal', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="cat"></code-sandbox>`, {
      behaviours: { remote: { onExec: () => undefined } },
    });
    await el.run();
    const process = TestDoubleEngine.created[0]!.processes[0]!;
    expect(process.options.terminal!.cols).to.be.above(10);
    el.shadowRoot!.querySelector<HTMLTextAreaElement>('.xterm-helper-textarea')!.focus();
    await sendKeys({ type: 'hi' });
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => process.input.join('') === 'hi\r', `input was ${JSON.stringify(process.input)}`);
    await waitUntil(() => terminalText(el).includes('hi'), 'echo shown');
    el.style.width = '300px';
    await waitUntil(() => process.sizes.length > 0, 'the process heard about the resize');
  });

  it('keeps the page responsive under a flood of output (10 MB printed at once)', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="yes"></code-sandbox>`, {
      behaviours: {
        remote: {
          onExec: (p) => {
            const line = 'y'.repeat(99) + '\n';
            for (let i = 0; i < 100_000; i++) p.print(line); // 10 MB at once
            p.print('last line\n');
            p.end(0);
          },
        },
      },
    });
    await el.run();
    // The flood reaches the terminal in slices with the page getting turns in between
    // (xterm's write callbacks pace it): a half-written state is observable, and timers
    // fire between it and the end.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await waitUntil(() => terminalText(el).includes('yyyy') && !terminalText(el).includes('last line'), 'part of the flood is shown', { timeout: 30_000 });
    const midway = ticks;
    await waitUntil(() => terminalText(el).includes('last line'), 'the end of the flood is shown', { timeout: 30_000 });
    clearInterval(timer);
    expect(ticks, 'timer ticks between part of the flood and its end').to.be.above(midway);
  });

  it('follows the theme', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} theme="dark"></code-sandbox>`);
    await el.run();
    const viewportColor = () => getComputedStyle(el.shadowRoot!.querySelector('.xterm-viewport')!).backgroundColor;
    expect(viewportColor()).to.equal('rgb(1, 4, 9)');
    el.theme = 'light';
    await el.updateComplete;
    expect(viewportColor()).to.equal('rgb(246, 248, 250)');
  });
});

describe('<code-sandbox> preview', () => {
  it('shows a dev server in a sandboxed frame with address bar, reload and open in new tab', async () => {
    const url = new URL('/test/browser/element-support/tree.json', location.href).href; // same origin as this page, on purpose
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} layout="split" port="8000"></code-sandbox>`, {
      behaviours: { remote: { devServerUrl: url } },
    });
    const ready = oneEvent(el, 'cs-server-ready');
    await el.run();
    expect((await ready).detail).to.deep.equal({ url, port: 8000 });
    await el.updateComplete;
    const frame = part(el, 'frame') as HTMLIFrameElement;
    expect(frame.src).to.equal(url);
    expect(frame.sandbox.contains('allow-scripts')).to.equal(true);
    expect(frame.sandbox.contains('allow-same-origin'), 'a same-origin preview must get an opaque origin').to.equal(false);
    expect((part(el, 'address') as HTMLInputElement).value).to.equal(url);
    expect(part(el, 'open-button').getAttribute('href')).to.equal(url);
    expect(part(el, 'open-button').getAttribute('rel')).to.equal('noopener noreferrer');
    part(el, 'reload-button').click();
    await el.updateComplete;
    expect(part(el, 'frame')).not.to.equal(frame);
    expect(TestDoubleEngine.created[0]!.calls).to.include('dev-server');
  });

  it('shows the command the dev server starts with, also when it is inferred from the files', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} layout="split"><pre data-file="server.js">x</pre></code-sandbox>`);
    const output = oneEvent(el, 'cs-output');
    await el.run();
    expect((await output).detail.data).to.equal('\x1b[2m$ node server.js\x1b[0m\r\n');
    expect(TestDoubleEngine.created[0]!.calls).to.include('dev-server node server.js');
    await waitUntil(() => terminalText(el).includes('$ node server.js'), 'the command line in the terminal');

    const preview = await sandbox(html`<code-sandbox remote-url=${REMOTE} layout="preview" command="npm run serve"></code-sandbox>`);
    const shown = oneEvent(preview, 'cs-output');
    await preview.run();
    expect((await shown).detail.data).to.equal('\x1b[2m$ npm run serve\x1b[0m\r\n');
  });

  it('keeps a cross-origin preview in its own origin, and never the host page\'s', () => {
    expect(previewSandbox('http://abc-3000.localhost:8787/', 'http://localhost:8000')).to.contain('allow-same-origin');
    expect(previewSandbox('http://localhost:8000/x', 'http://localhost:8000')).not.to.contain('allow-same-origin');
    expect(previewSandbox('not a url', 'http://localhost:8000')).not.to.contain('allow-same-origin');
  });
});

describe('<code-sandbox> on a page with others', () => {
  it('keeps each sandbox isolated, and tears down only the one removed', async () => {
    const page = await fixture<HTMLDivElement>(html`<div>
      <code-sandbox remote-url=${REMOTE} command="node a.js"></code-sandbox>
      <code-sandbox remote-url=${REMOTE} command="node b.js"></code-sandbox>
    </div>`);
    const [a, b] = page.querySelectorAll('code-sandbox');
    a!.engineFactory = testDoubleFactory({ remote: { onExec: (p) => p.print('A\n') } });
    b!.engineFactory = testDoubleFactory({ remote: { onExec: (p) => p.print('B\n') } });
    await Promise.all([a!.run(), b!.run()]);
    await waitUntil(() => terminalText(a!).includes('A') && terminalText(b!).includes('B'));
    expect(terminalText(a!)).not.to.match(/^B$/m);
    expect(terminalText(b!)).not.to.match(/^A$/m);
    const [engineA, engineB] = [a!.container as TestDoubleEngine, b!.container as TestDoubleEngine];
    expect(engineA).not.to.equal(engineB);
    a!.remove();
    await aTimeout(0);
    expect(engineA.calls.at(-1)).to.equal('teardown');
    expect(engineB.calls).not.to.include('teardown');
    expect(b!.status).to.equal('running');
  });
});

describe('<code-sandbox> accessibility', () => {
  it('passes the accessibility audit, before and after a run, in both layouts', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} layout="split"><pre data-file="index.js">console.log(1)</pre></code-sandbox>`);
    await expect(el).to.be.accessible();
    await el.run();
    await el.updateComplete;
    await expect(el).to.be.accessible();
  });

  it('reaches every control by keyboard, and Run works from the keyboard', async () => {
    const el = await sandbox();
    const before = document.createElement('button');
    before.textContent = 'before';
    el.before(before);
    before.focus();
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'run-button'));
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'reset-button')); // Stop and Restart are disabled until something runs
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'run-button'));
    const exited = oneEvent(el, 'cs-exit');
    await sendKeys({ press: 'Enter' });
    expect((await exited).detail.code).to.equal(0);
    before.remove();
  });

  it('lets keyboard users leave the terminal with Escape then Tab', async () => {
    const el = await sandbox(html`<code-sandbox remote-url=${REMOTE} command="cat"></code-sandbox>`, {
      behaviours: { remote: { onExec: () => undefined } },
    });
    const after = document.createElement('button');
    after.textContent = 'after';
    el.after(after);
    await el.run();
    el.shadowRoot!.querySelector<HTMLTextAreaElement>('.xterm-helper-textarea')!.focus();
    await sendKeys({ press: 'Escape' });
    await sendKeys({ press: 'Tab' });
    expect(document.activeElement).to.equal(after);
    after.remove();
  });
});
