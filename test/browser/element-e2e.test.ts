/**
 * <code-sandbox> end to end: the real RemoteContainerEngine against the real
 * orchestrator on real Docker (started beside the test server by
 * scripts/wtr/orchestrator-plugin.mjs). No test doubles: what a reader would see.
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/define.js';
import type { CodeSandboxElement } from '../../src/element/code-sandbox.js';
import { loadEngine, type EngineOptions } from '../../src/element/engine-loader.js';
import { GONE_WITHIN_MS, remote, session, sessionOf, waitGone } from './element-support/real-orchestrator.js';
import { part, terminalText, typeIntoTerminal } from './element-support/sandbox-dom.js';

/** Text without ANSI escape sequences (colours). */
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** Everything the element printed (cs-output), as it arrives. */
function recordOutput(el: CodeSandboxElement): { readonly text: string } {
  const chunks: string[] = [];
  el.addEventListener('cs-output', (event) => chunks.push(event.detail.data));
  return {
    get text() {
      return chunks.join('');
    },
  };
}

/** Presses the element's Run button, as a reader would. */
function clickRun(el: CodeSandboxElement): void {
  part(el, 'run-button').click();
}

/** Tears down sandboxes a test left on the page, and checks their containers go. */
const sessions = new Set<string>();
afterEach(async function () {
  this.timeout(GONE_WITHIN_MS + 10_000);
  for (const el of document.querySelectorAll('code-sandbox')) el.remove();
  await Promise.all([...sessions].map(waitGone));
  sessions.clear();
});

/** Presses Run and waits until the terminal shows `shown` (the example is up); remembers and returns its session. */
async function runUntilShown(el: CodeSandboxElement, shown: RegExp): Promise<string> {
  clickRun(el);
  await waitUntil(() => shown.test(terminalText(el)), `the terminal shows ${shown}: ${JSON.stringify(terminalText(el))}`, { timeout: 60_000 });
  const id = sessionOf(el)!;
  sessions.add(id);
  return id;
}

/** Runs `el` with its Run button, remembers its session, and resolves with the exit code. */
async function runToExit(el: CodeSandboxElement): Promise<number> {
  const exited = oneEvent(el, 'cs-exit');
  clickRun(el);
  const { code } = (await exited).detail;
  const id = sessionOf(el);
  if (id) sessions.add(id);
  return code;
}

describe('<code-sandbox> end to end, on the real orchestrator', function () {
  this.timeout(120_000);

  it('runs a Node example: 42 in the terminal, exit code 0 in the status', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}><pre data-file="index.js">console.log(6*7)</pre></code-sandbox>`);
    const output = recordOutput(el);
    const selected = oneEvent(el, 'cs-engine-selected');
    expect(await runToExit(el)).to.equal(0);
    expect((await selected).detail).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: this page is not cross-origin isolated, which WebContainers need.',
    });
    expect(plain(output.text)).to.match(/^42\r?$/m); // node colours numbers on a terminal
    await waitUntil(() => /^42$/m.test(terminalText(el)), `42 in the terminal: ${JSON.stringify(terminalText(el))}`);
    expect(terminalText(el)).to.contain('$ node index.js');
    await el.updateComplete;
    expect(el.status).to.equal('exited');
    expect(part(el, 'status').textContent).to.equal('Exited with code 0');
    expect(part(el, 'engine').textContent).to.equal('Running on a server: this page is not cross-origin isolated, which WebContainers need.');
  });

  it('runs a Python example on the remote engine, chosen because of its stack', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="main.py">import sys
print(f"python {sys.version_info[0]} says {6 * 7}")</pre>
    </code-sandbox>`);
    const created: EngineOptions[] = [];
    el.engineFactory = (kind, options) => (created.push(options), loadEngine(kind, options)); // the real engine, observed
    const selected = oneEvent(el, 'cs-engine-selected');
    expect(await runToExit(el)).to.equal(0);
    expect((await selected).detail).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: this example needs Python, which WebContainers cannot run.',
    });
    expect(created.map((options) => options.template), 'the server is asked for a Python sandbox').to.deep.equal(['python']);
    await waitUntil(() => terminalText(el).includes('python 3 says 42'), `output: ${JSON.stringify(terminalText(el))}`);
    expect(terminalText(el)).to.contain('$ python3 main.py');
    expect(part(el, 'status').textContent).to.equal('Exited with code 0');
  });

  it('shows an HTTP server in the preview frame, on an origin of its own', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} layout="split">
      <pre data-file="server.js">require('http').createServer((req, res) => {
  res.setHeader('access-control-allow-origin', '*');
  res.end('hello from the preview');
}).listen(process.env.PORT, '0.0.0.0', () => console.log('listening on ' + process.env.PORT));</pre>
    </code-sandbox>`);
    let frameLoaded = false;
    el.shadowRoot!.addEventListener('load', (event) => {
      if (event.target instanceof HTMLIFrameElement) frameLoaded = true;
    }, true);
    const ready = oneEvent(el, 'cs-server-ready');
    clickRun(el);
    const { url, port } = (await ready).detail;
    sessions.add(sessionOf(el)!);
    expect(port).to.equal(3000);
    const preview = new URL(url);
    expect(preview.hostname).to.equal(`${sessionOf(el)}-3000.localhost`);
    expect(preview.origin).not.to.equal(location.origin);
    await el.updateComplete;
    const frame = part(el, 'frame') as HTMLIFrameElement;
    expect(frame.src).to.equal(url);
    expect(frame.sandbox.contains('allow-same-origin'), 'its own origin, which is not the page\'s').to.equal(true);
    expect((part(el, 'address') as HTMLInputElement).value).to.equal(url);
    await waitUntil(() => frameLoaded, 'the preview frame loads');
    expect(await (await fetch(url)).text()).to.equal('hello from the preview');
    expect(el.status).to.equal('running');
    expect(part(el, 'status').textContent).to.equal('Dev server running on port 3000');
    await waitUntil(() => terminalText(el).includes('listening on 3000'), `server log: ${JSON.stringify(terminalText(el))}`);
    expect(terminalText(el), 'the inferred command is shown').to.contain('$ node server.js');
  });

  it('sends keys typed into the terminal to the process', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">const rl = require('readline').createInterface({ input: process.stdin, output: process.stdout });
rl.question('What is your name? ', (name) => { console.log('Hello, ' + name + '!'); rl.close(); });</pre>
    </code-sandbox>`);
    const exited = oneEvent(el, 'cs-exit');
    await runUntilShown(el, /What is your name\?/);
    await typeIntoTerminal(el, 'Ada', 'Enter');
    expect((await exited).detail.code).to.equal(0);
    await waitUntil(() => terminalText(el).includes('Hello, Ada!'), `answer: ${JSON.stringify(terminalText(el))}`);
    expect(terminalText(el)).to.contain('What is your name? Ada'); // the pty echoed the keys
  });

  it('gives the process a terminal of the element\'s size, and resizes it with the element', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">const show = () => console.log('size ' + process.stdout.columns + 'x' + process.stdout.rows);
show();
process.stdout.on('resize', show);
setInterval(() => {}, 1000);</pre>
    </code-sandbox>`);
    const sizes = () => [...terminalText(el).matchAll(/size (\d+)x(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    await runUntilShown(el, /size \d+x\d+/);
    const [cols, rows] = sizes()[0]!;
    expect(rows).to.equal(el.shadowRoot!.querySelectorAll('.xterm-rows > div').length);
    expect(cols).to.be.above(40);
    el.style.display = 'block';
    el.style.width = '320px';
    await waitUntil(() => sizes().length >= 2, `the process hears of the resize: ${JSON.stringify(sizes())}`);
    expect(sizes().at(-1)![0]).to.be.below(cols);
  });

  it('Ctrl+C typed into the terminal interrupts the process', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">console.log('waiting for Ctrl+C');
setInterval(() => {}, 1000);</pre>
    </code-sandbox>`);
    const exited = oneEvent(el, 'cs-exit');
    await runUntilShown(el, /waiting for Ctrl\+C/);
    await typeIntoTerminal(el, '');
    await sendKeys({ down: 'Control' });
    await sendKeys({ press: 'c' });
    await sendKeys({ up: 'Control' });
    expect((await exited).detail.code).to.equal(130);
    await el.updateComplete;
    expect(part(el, 'status').textContent).to.equal('Exited with code 130');
  });

  it('Restart runs again in the same sandbox; Reset files puts back what a run changed', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">const fs = require('fs');
const count = Number(fs.readFileSync('count.txt', 'utf8')) + 1;
fs.writeFileSync('count.txt', String(count));
console.log('run number ' + count);
setInterval(() => {}, 1000);</pre>
      <script type="text/plain" data-file="count.txt">0</script>
    </code-sandbox>`);
    const id = await runUntilShown(el, /run number 1/);
    await el.updateComplete;
    part(el, 'restart-button').click();
    await waitUntil(() => terminalText(el).includes('run number 2'), 'the restarted run', { timeout: 60_000 });
    expect(sessionOf(el)).to.equal(id);
    await el.updateComplete;
    part(el, 'reset-button').click();
    await waitUntil(() => el.status === 'idle', 'reset');
    await el.updateComplete;
    expect(part(el, 'status').textContent).to.equal('Files reset. Press Run to start.');
    expect(await (el.container!.readFile('count.txt'))).to.equal('0');
    clickRun(el);
    await waitUntil(() => terminalText(el).split('run number 1').length === 3, 'run number 1 again', { timeout: 60_000 });
    expect(sessionOf(el)).to.equal(id);
  });

  it('boots a new sandbox when the server ended the previous one', async () => {
    // The reader came back after the session's lifetime: the orchestrator ended it (here: asked to, with the session's token).
    const tokens = new Map<string, string>();
    const realFetch = window.fetch;
    window.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      if (String(input) === `${remote}/sessions` && init?.method === 'POST') {
        const { id, token } = (await response.clone().json()) as { id: string; token: string };
        tokens.set(id, token);
      }
      return response;
    };
    try {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
        <pre data-file="index.js">console.log('up in ' + require('os').hostname());
setInterval(() => {}, 1000);</pre>
      </code-sandbox>`);
      const first = await runUntilShown(el, /up in \w+/);
      const exited = oneEvent(el, 'cs-exit');
      const ended = await realFetch(`${remote}/sessions/${first}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.get(first)}` } });
      expect(ended.ok, `DELETE answered ${ended.status}`).to.equal(true);
      expect((await exited).detail.code).to.equal(137); // the process went with its sandbox
      await waitGone(first);

      const second = await runUntilShown(el, /up in \w+[^]*up in \w+/);
      expect(second).not.to.equal(first);
      expect(el.status).to.equal('running');
      expect(terminalText(el)).to.contain('The sandbox had ended (Deleted by the client); starting a new one.');
    } finally {
      window.fetch = realFetch;
    }
  });

  it('Stop kills a long-running process', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">console.log('ticking');
setInterval(() => {}, 1000);</pre>
    </code-sandbox>`);
    await runUntilShown(el, /ticking/);
    expect(el.status).to.equal('running');
    await el.updateComplete;
    const exited = oneEvent(el, 'cs-exit');
    part(el, 'stop-button').click();
    expect((await exited).detail.code).to.equal(143);
    await el.updateComplete;
    expect(part(el, 'status').textContent).to.equal('Exited with code 143');
    expect(part(el, 'stop-button').hasAttribute('disabled')).to.equal(true);
    // The sandbox is still up, and no process runs the example any more.
    const ps = await el.exec('sh', ['-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done']);
    let listing = '';
    ps.stream.subscribe((chunk) => (listing += chunk));
    expect(await ps.exit).to.equal(0);
    expect(listing).to.contain('sh -c');
    expect(listing).not.to.contain('index.js');
  });

  it('Stop ends a server that ignores SIGTERM (SIGKILL after the grace period), and Run works again', async () => {
    // What a Node server with a graceful-shutdown handler (or nodemon) does with SIGTERM: nothing.
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
require('http').createServer((req, res) => res.end('ok')).listen(0, () => console.log('serving ' + process.pid));
setInterval(() => {}, 1000);</pre>
    </code-sandbox>`);
    await runUntilShown(el, /serving \d+/);
    await el.updateComplete;
    const exited = oneEvent(el, 'cs-exit');
    part(el, 'stop-button').click();
    // Stop promises SIGKILL 3 s after SIGTERM; a Stop that waits forever fails here instead of at the test's timeout.
    const code = await Promise.race([exited.then((event) => event.detail.code), new Promise((resolve) => setTimeout(() => resolve('no exit 20 s after Stop'), 20_000))]);
    expect(code).to.equal(137);
    await waitUntil(() => terminalText(el).includes('ignoring SIGTERM'), 'the program saw SIGTERM first');
    await el.updateComplete;
    expect(part(el, 'status').textContent).to.equal('Exited with code 137');

    await runUntilShown(el, /serving \d+[^]*serving \d+/);
    expect(el.status).to.equal('running');
  });

  it('keeps two sandboxes on one page apart', async () => {
    const page = await fixture<HTMLDivElement>(html`<div>
      <code-sandbox remote-url=${remote}><pre data-file="index.js">for (let i = 0; i < 5; i++) console.log('alpha ' + i);</pre></code-sandbox>
      <code-sandbox remote-url=${remote}><pre data-file="main.py">for i in range(5): print('bravo', i)</pre></code-sandbox>
    </div>`);
    const [a, b] = [...page.querySelectorAll('code-sandbox')] as [CodeSandboxElement, CodeSandboxElement];
    const [outA, outB] = [recordOutput(a), recordOutput(b)];
    const codes = await Promise.all([runToExit(a), runToExit(b)]);
    expect(codes).to.deep.equal([0, 0]);
    await waitUntil(() => terminalText(a).includes('alpha 4') && terminalText(b).includes('bravo 4'), 'both outputs');
    expect(terminalText(a)).not.to.contain('bravo');
    expect(terminalText(b)).not.to.contain('alpha');
    expect(outA.text).not.to.contain('bravo');
    expect(outB.text).not.to.contain('alpha');
    expect(a.container).not.to.equal(b.container);
    expect(sessionOf(a)).to.be.a('string').and.not.equal(sessionOf(b));
    expect(await session(sessionOf(a)!)).to.deep.equal({ exists: true, containers: 1 });
    expect(await session(sessionOf(b)!)).to.deep.equal({ exists: true, containers: 1 });
    // Removing one leaves the other running.
    const idA = sessionOf(a)!;
    a.remove();
    await waitGone(idA);
    expect(await session(sessionOf(b)!)).to.deep.equal({ exists: true, containers: 1 });
    expect(b.status).to.equal('exited');
  });

  it('removing a sandbox tears its engine down and leaves no container; re-attaching runs again in one terminal', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
      <pre data-file="index.js">console.log('run ' + process.pid + ' up');
setInterval(() => {}, 1000);</pre>
    </code-sandbox>`);
    const parent = el.parentElement!;
    const first = await runUntilShown(el, /run \d+ up/);
    expect(await session(first)).to.deep.equal({ exists: true, containers: 1 });

    el.remove();
    await waitGone(first);
    await el.updateComplete;
    expect(el.status).to.equal('idle');
    expect(el.container).to.equal(undefined);

    parent.append(el);
    const second = await runUntilShown(el, /run \d+ up/);
    expect(el.status).to.equal('running');
    expect(second).not.to.equal(first);
    expect(await session(second)).to.deep.equal({ exists: true, containers: 1 });
    expect(el.shadowRoot!.querySelectorAll('.xterm')).to.have.length(1);
    expect(el.shadowRoot!.querySelectorAll('.xterm-helper-textarea')).to.have.length(1);
  });
});
