/**
 * The cross-browser suite: <code-sandbox> and engine selection in whichever
 * browser opened the page (Chromium, Firefox or WebKit; see
 * web-test-runner.config.mjs), with the real RemoteContainerEngine against the
 * real orchestrator on real Docker. Capabilities are the browser's own (feature
 * detection and its real user agent); the launcher that opened the page is the
 * truth they are checked against. Runs once on a cross-origin isolated page and
 * once on a plain one (most blogs).
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { executeServerCommand, resetMouse, sendKeys, sendMouse } from '@web/test-runner-commands';
import '../../../src/define.js';
import type { CodeSandboxElement } from '../../../src/element/code-sandbox.js';
import type { PortEvent } from '../../../src/engine/ports.js';
import type { RemoteContainerEngine } from '../../../src/remote/remote-container-engine.js';
import { detectEnvironment } from '../../../src/selection/detect-environment.js';
import { selectEngine, type BrowserFamily, type EngineChoice } from '../../../src/selection/select-engine.js';
import { FORGED_MESSAGES, hostilePreviewServer, OWN_COOKIES, STORAGE_KEY, type PreviewReport } from './hostile-preview.js';
import { part, terminalText } from '../element-support/sandbox-dom.js';

export type PageKind = 'isolated' | 'plain';

const { url: remote } = (await (await fetch('/__orchestrator.json')).json()) as { url: string };

/** The launcher that opened this page (scripts/wtr/browsers.mjs names them). */
const launcher = await executeServerCommand<string, undefined>('browser-under-test');
type TestedFamily = Exclude<BrowserFamily, 'unknown'>;
const FAMILIES: Record<string, TestedFamily> = { Chromium: 'chromium', Firefox: 'firefox', WebKit: 'webkit' };
const maybeFamily = FAMILIES[launcher];
if (!maybeFamily) throw new Error(`unknown launcher ${JSON.stringify(launcher)}`);
const family: TestedFamily = maybeFamily;

const NOT_ISOLATED = 'Running on a server: this page is not cross-origin isolated, which WebContainers need.';
const SAFARI = "Running on a server: Safari can't run WebContainers.";
const PYTHON = 'Running on a server: this example needs Python, which WebContainers cannot run.';

/** What selectEngine must answer for a Node.js example with a server configured, per browser and page (docs/element.md). */
const NODE_WITH_REMOTE: Record<TestedFamily, Record<PageKind, EngineChoice>> = {
  chromium: {
    isolated: { engine: 'browser', reason: 'Running in your browser (WebContainers): this page can run Node.js in your browser.', fallback: 'remote' },
    plain: { engine: 'remote', reason: NOT_ISOLATED },
  },
  firefox: {
    isolated: { engine: 'remote', reason: 'Running on a server: Firefox runs WebContainers only partly.' },
    plain: { engine: 'remote', reason: NOT_ISOLATED },
  },
  webkit: { isolated: { engine: 'remote', reason: SAFARI }, plain: { engine: 'remote', reason: SAFARI } },
};

/** How long a container gets to go away after its sandbox was torn down. */
const GONE_WITHIN_MS = 30_000;

const sessionOf = (el: CodeSandboxElement) => (el.container as RemoteContainerEngine | undefined)?.sessionId;
const cookieNames = (header: string) => header.split(';').map((cookie) => cookie.split('=')[0]!.trim()).filter(Boolean).sort();

/** Clicks the middle of `element` with a real input event, which gives the frame under it user activation. */
async function clickMiddle(element: Element): Promise<void> {
  element.scrollIntoView({ block: 'center' });
  const { x, y, width, height } = element.getBoundingClientRect();
  try {
    await sendMouse({ type: 'click', position: [Math.round(x + width / 2), Math.round(y + height / 2)] });
  } finally {
    await resetMouse();
  }
}

export function crossBrowserSuite(page: PageKind): void {
  const isolated = page === 'isolated';

  describe(`<code-sandbox> in ${launcher}, on a ${isolated ? 'cross-origin isolated' : 'plain (not isolated)'} page`, function () {
    this.timeout(120_000);

    // Tears down sandboxes a test left on the page, and checks their containers go.
    const sessions = new Set<string>();
    afterEach(async function () {
      this.timeout(GONE_WITHIN_MS + 10_000);
      for (const el of document.querySelectorAll('code-sandbox')) el.remove();
      for (const id of sessions) {
        await waitUntil(
          async () => JSON.stringify(await (await fetch(`/__orchestrator/sessions/${id}`)).json()) === '{"exists":false,"containers":0}',
          `session ${id} and its container are gone`,
          { timeout: GONE_WITHIN_MS, interval: 250 },
        );
      }
      sessions.clear();
    });

    /** Presses Run and resolves with the element's first choice of engine. */
    async function run(el: CodeSandboxElement) {
      const selected = oneEvent(el, 'cs-engine-selected');
      part(el, 'run-button').click();
      return (await selected).detail;
    }

    /** Waits until the element runs on the server, and remembers its session for cleanup. */
    async function onServer(el: CodeSandboxElement): Promise<void> {
      await waitUntil(() => sessionOf(el) !== undefined, `a remote session: ${el.statusMessage}`, { timeout: 60_000 });
      sessions.add(sessionOf(el)!);
    }

    it(`is served ${isolated ? 'with' : 'without'} COOP/COEP, and detectEnvironment reads this browser's real capabilities`, () => {
      expect(globalThis.crossOriginIsolated).to.equal(isolated);
      const environment = detectEnvironment();
      expect(environment.family, navigator.userAgent).to.equal(family);
      expect(environment.crossOriginIsolated).to.equal(isolated);
      // SharedArrayBuffer exists only on isolated pages; WebKitGTK hides it even there
      // unless the JSC_useSharedArrayBuffer=1 switch is set.
      expect(environment.sharedArrayBuffer).to.equal(isolated && family !== 'webkit');
    });

    it('selectEngine picks the engine docs/element.md promises for this browser and page', () => {
      const environment = detectEnvironment();
      expect(selectEngine({ stack: 'node', remoteConfigured: true }, environment)).to.deep.equal(NODE_WITH_REMOTE[family][page]);
      expect(selectEngine({ stack: 'python', remoteConfigured: true }, environment)).to.deep.equal({ engine: 'remote', reason: PYTHON });
      const alone = selectEngine({ stack: 'node', remoteConfigured: false }, environment);
      if (family === 'webkit') expect(alone).to.have.property('error').that.contains("Safari can't run WebContainers");
      else if (!isolated) expect(alone).to.have.property('error').that.contains('Cross-Origin-Embedder-Policy: require-corp');
      else expect(alone).to.have.property('engine', 'browser');
    });

    it('runs a Node example on the remote engine and shows the reader why', async () => {
      // Chromium on an isolated page picks WebContainers, whose service is not reachable
      // from here: after boot-timeout the sandbox falls back to the server.
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} boot-timeout="3000">
        <pre data-file="index.js">console.log('node ' + process.versions.node.split('.')[0] + ' says ' + 6 * 7)</pre>
      </code-sandbox>`);
      const { engine, reason } = NODE_WITH_REMOTE[family][page];
      const exited = oneEvent(el, 'cs-exit');
      expect(await run(el)).to.deep.equal({ engine, reason });
      await onServer(el);
      expect((await exited).detail.code).to.equal(0);
      await waitUntil(() => /node \d+ says 42/.test(terminalText(el)), `output: ${JSON.stringify(terminalText(el))}`);
      await el.updateComplete;
      expect(el.selection?.engine).to.equal('remote');
      if (engine === 'remote') expect(el.selection?.reason).to.equal(reason);
      else expect(el.selection?.reason).to.match(/^Running on a server: the in-browser engine could not start \(.+\)\.$/);
      expect(part(el, 'engine').textContent).to.equal(el.selection?.reason);
      expect(part(el, 'status').textContent).to.equal('Exited with code 0');
    });

    it('runs a Python example on the remote engine, chosen because of its stack', async () => {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
        <pre data-file="main.py">import sys
print(f"python {sys.version_info[0]} says {6 * 7}")</pre>
      </code-sandbox>`);
      const exited = oneEvent(el, 'cs-exit');
      expect(await run(el)).to.deep.equal({ engine: 'remote', reason: PYTHON });
      await onServer(el);
      expect((await exited).detail.code).to.equal(0);
      await waitUntil(() => terminalText(el).includes('python 3 says 42'), `output: ${JSON.stringify(terminalText(el))}`);
      expect(terminalText(el)).to.contain('$ python3 main.py');
      await el.updateComplete;
      expect(part(el, 'engine').textContent).to.equal(PYTHON);
    });

    it('sends keys typed into the terminal to the process', async () => {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}>
        <pre data-file="main.py">name = input("What is your name? ")
print(f"Hello, {name}!")</pre>
      </code-sandbox>`);
      const exited = oneEvent(el, 'cs-exit');
      await run(el);
      await onServer(el);
      await waitUntil(() => terminalText(el).includes('What is your name?'), 'the prompt', { timeout: 60_000 });
      el.shadowRoot!.querySelector<HTMLTextAreaElement>('.xterm-helper-textarea')!.focus();
      await sendKeys({ type: 'Ada' });
      await sendKeys({ press: 'Enter' });
      expect((await exited).detail.code).to.equal(0);
      await waitUntil(() => terminalText(el).includes('Hello, Ada!'), `answer: ${JSON.stringify(terminalText(el))}`);
      expect(terminalText(el)).to.contain('What is your name? Ada'); // the pty echoed the keys
    });

    /**
     * Runs a dev server sandbox and waits until its page rendered in the preview frame:
     * the page posts a message to this one, which a load event (fired for error pages
     * too) does not prove.
     */
    async function expectPreviewRenders(el: CodeSandboxElement): Promise<number> {
      let rendered: string | undefined;
      const onMessage = (event: MessageEvent) => {
        if (event.data === 'preview rendered') rendered = event.origin;
      };
      window.addEventListener('message', onMessage);
      try {
        const ready = oneEvent(el, 'cs-server-ready');
        await run(el);
        const { url, port } = (await ready).detail;
        await onServer(el);
        const preview = new URL(url);
        expect(preview.hostname).to.equal(`${sessionOf(el)}-${port}.localhost`);
        expect(preview.origin).not.to.equal(location.origin);
        await el.updateComplete;
        expect((part(el, 'frame') as HTMLIFrameElement).src).to.equal(url);
        await waitUntil(() => rendered !== undefined, 'the preview page rendered in the frame', { timeout: 30_000 });
        expect(rendered).to.equal(preview.origin);
        expect(part(el, 'status').textContent).to.equal(`Dev server running on port ${port}`);
        return port;
      } finally {
        window.removeEventListener('message', onMessage);
      }
    }

    it('shows a dev server (python3 -m http.server, no special headers) in the preview frame, on an origin of its own', async () => {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} layout="split" command="python3 -m http.server $PORT">
        <template data-file="index.html"><!doctype html><title>preview</title><script>parent.postMessage('preview rendered', '*');</script></template>
      </code-sandbox>`);
      await expectPreviewRenders(el);
    });

    it('shows a server bound to 127.0.0.1 on a port nobody configured (python3 -m http.server 3111 --bind 127.0.0.1)', async () => {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} layout="preview" command="python3 -m http.server 3111 --bind 127.0.0.1">
        <template data-file="index.html"><!doctype html><title>preview</title><script>parent.postMessage('preview rendered', '*');</script></template>
      </code-sandbox>`);
      expect(await expectPreviewRenders(el)).to.equal(3111);
    });

    it('previews a server the command opens by itself, with no preview layout or port attribute (node index.js on 127.0.0.1:4321)', async () => {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} boot-timeout="3000">
        <pre data-file="index.js">require('http').createServer((q,s)=>s.end('hi from 4321')).listen(4321,'127.0.0.1')</pre>
      </code-sandbox>`);
      const ports: PortEvent[] = [];
      el.addEventListener('cs-port', (event) => ports.push(event.detail));
      const ready = oneEvent(el, 'cs-server-ready');
      await run(el);
      const { url, port } = (await ready).detail;
      await onServer(el);
      expect(port).to.equal(4321);
      expect(new URL(url).hostname).to.equal(`${sessionOf(el)}-4321.localhost`);
      expect(ports).to.deep.include({ port: 4321, state: 'open', url });
      await el.updateComplete;
      const frame = part(el, 'frame') as HTMLIFrameElement;
      expect(frame.src).to.equal(url);
      expect(part(el, 'terminal').hidden, 'the terminal stays beside the preview').to.equal(false);
      expect(await (await fetch(`/__orchestrator/preview-text?url=${encodeURIComponent(url)}`)).text()).to.equal('hi from 4321');
      // Stop: the server goes, and so does its preview.
      await el.stop();
      await waitUntil(() => ports.some((event) => event.port === 4321 && event.state === 'closed'), 'port 4321 closed');
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="frame"]')).to.equal(null);
    });

    describe('a hostile preview', () => {
      // One sandbox serves a page that, once clicked, attacks this page and reports
      // each outcome (support/hostile-preview.ts). The element runs on the server:
      // its previews are the ones on origins of their own.

      // Firefox's WebDriver BiDi cannot send input into a frame in another process
      // (bugzilla.mozilla.org/1773393), and a COOP/COEP page keeps cross-origin frames
      // in processes of their own: there the test asks the page to attack by message,
      // so its attacks run without user activation.
      const clickable = !(family === 'firefox' && isolated);
      const EVENTS = ['cs-engine-selected', 'cs-status', 'cs-output', 'cs-exit', 'cs-server-ready', 'cs-error'];
      const pageUrl = location.href;
      let preview: URL;
      let messages: { origin: string; data: unknown }[];
      let report: PreviewReport;
      let stateBefore: unknown;
      let stateAfter: unknown;
      let events: string[];

      const kindOf = (message: { data: unknown }) => (message.data as { kind?: string } | null)?.kind;
      const elementState = (el: CodeSandboxElement) => ({
        status: el.statusMessage,
        selection: el.selection,
        frame: (part(el, 'frame') as HTMLIFrameElement).src,
        address: (part(el, 'address') as HTMLInputElement).value,
        terminal: terminalText(el),
      });

      before(async () => {
        localStorage.removeItem(STORAGE_KEY);
        sessionStorage.removeItem(STORAGE_KEY);
        messages = [];
        const record = (event: MessageEvent) => messages.push({ origin: event.origin, data: event.data });
        window.addEventListener('message', record);
        try {
          const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} engine="remote" layout="split" command="node server.js"
            .files=${{ 'server.js': { file: { contents: hostilePreviewServer(location.origin) } } }}></code-sandbox>`);
          const ready = oneEvent(el, 'cs-server-ready');
          await run(el);
          preview = new URL((await ready).detail.url);
          await onServer(el);
          // Only the preview's own messages count (the first test checks no other origin posted).
          const ofKind = (kind: string) => messages.find((message) => message.origin === preview.origin && kindOf(message) === kind);
          await waitUntil(() => ofKind('armed'), 'the hostile page loaded in the frame', { timeout: 30_000 });
          await el.updateComplete;
          stateBefore = elementState(el);
          const fired: string[] = [];
          for (const name of EVENTS) el.addEventListener(name, () => fired.push(name));
          const frame = part(el, 'frame') as HTMLIFrameElement;
          if (clickable) {
            // A frame that just loaded may not take clicks yet: click until the page says
            // it was clicked (it attacks on the first click only).
            await waitUntil(async () => {
              if (!ofKind('attacking')) await clickMiddle(frame);
              return ofKind('attacking');
            }, 'the hostile page was clicked', { timeout: 30_000, interval: 500 });
          } else {
            frame.contentWindow!.postMessage({ kind: 'attack' }, preview.origin);
          }
          await waitUntil(() => ofKind('report'), 'the hostile page reported its attacks', { timeout: 30_000 });
          await el.updateComplete;
          stateAfter = elementState(el);
          events = [...fired]; // not what removing the element fires later
          report = ofKind('report')!.data as PreviewReport;
        } finally {
          window.removeEventListener('message', record);
        }
      });

      it(`posts to this page from its own origin only${clickable ? ', and attacked with the user activation of a click' : ''}`, () => {
        expect(preview.origin).not.to.equal(location.origin);
        expect(messages.map((message) => message.origin)).to.deep.equal(messages.map(() => preview.origin));
        expect(report.activation).to.equal(clickable);
      });

      it('cannot read or script the host page', () => {
        expect(report.read).to.deep.equal({
          'parent.document': 'threw SecurityError',
          'top.document.cookie': 'threw SecurityError',
          'parent.localStorage': 'threw SecurityError',
          'parent.location.href': 'threw SecurityError',
          frameElement: 'null',
        });
      });

      it('cannot navigate the host page', () => {
        const noWindow = family === 'firefox' ? 'threw InvalidAccessError' : 'null'; // what window.open does in a frame without allow-popups
        // A navigation that went through would have replaced this page, and the runner
        // would fail the file ("the page navigated to …/hijacked?via=…").
        expect(location.href).to.equal(pageUrl);
        expect(report.navigate).to.deep.equal({
          'top.location.href = …': 'threw SecurityError',
          'top.location.replace(…)': 'threw SecurityError',
          "window.open(…, '_top')": noWindow,
          // Refused without an error: this page still being here is the proof.
          '<a target="_top"> clicked': 'no error',
          '<form target="_top"> submitted': 'no error',
          // The preview may open no window at all (no allow-popups).
          "a popup navigates its opener's top": noWindow,
        });
      });

      it("keeps its cookies on its own origin: none reaches this page's origin", async () => {
        expect(cookieNames(document.cookie).filter((name) => name.startsWith('preview_'))).to.deep.equal([]);
        const sent = await (await fetch('/__request-cookies')).text(); // HttpOnly ones too
        expect(cookieNames(sent).filter((name) => name.startsWith('preview_'))).to.deep.equal([]);
        // A cross-site frame keeps only its own, partitioned cookies: Chromium and Firefox
        // keep them, WebKit keeps none (it blocks every cookie in a cross-site frame).
        // No engine accepts a cookie for the host page's domain.
        const own = family === 'webkit' ? [] : OWN_COOKIES;
        expect(cookieNames(report.cookies.server)).to.deep.equal(own);
        expect(cookieNames(report.cookies.script)).to.deep.equal(own.filter((name) => name.endsWith('_script')));
      });

      it("keeps its storage on its own origin: this page's storage is untouched", () => {
        expect(report.storage).to.deep.equal({ local: 'written by the preview', session: 'written by the preview' });
        expect(localStorage.getItem(STORAGE_KEY)).to.equal(null);
        expect(sessionStorage.getItem(STORAGE_KEY)).to.equal(null);
      });

      it('cannot drive the element with forged messages', () => {
        // Messages from one sender arrive in order: the forged ones came between these two.
        const kinds = messages.map(kindOf);
        expect(messages.slice(kinds.indexOf('attacking') + 1, kinds.indexOf('report')).map((message) => message.data)).to.deep.equal(FORGED_MESSAGES);
        expect(stateAfter).to.deep.equal(stateBefore);
        expect(events).to.deep.equal([]);
      });
    });

    if (isolated) {
      // A page with COEP: require-corp embeds only documents that opt in with COEP and
      // CORP (the orchestrator's preview proxy passes the dev server's headers through).
      it('shows a dev server that sends COEP and CORP in the preview frame', async () => {
        const el = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote} layout="split">
          <script type="text/plain" data-file="server.js">require('http').createServer((req, res) => {
  res.setHeader('cross-origin-embedder-policy', 'require-corp');
  res.setHeader('cross-origin-resource-policy', 'cross-origin');
  res.setHeader('content-type', 'text/html');
  res.end('<' + 'script>parent.postMessage("preview rendered", "*")<' + '/script>');
}).listen(process.env.PORT, '0.0.0.0');</script>
        </code-sandbox>`);
        await expectPreviewRenders(el);
      });
    }
  });
}
