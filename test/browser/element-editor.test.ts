/**
 * Readers edit examples: the editor loads on focus (not before), edits run,
 * persist per page and example, reset, reach a running dev server as they are
 * typed; tabs, read-only, keyboard and the accessibility audit; expected output
 * shown before the first run. Engines here are the TEST DOUBLE
 * (element-support/test-double-engine.ts): these tests are about the element.
 * Runs in Chromium, Firefox and WebKit (see web-test-runner.config.mjs).
 */
import { aTimeout, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { TemplateResult } from 'lit';
import '../../src/define.js';
import type { CodeSandboxElement } from '../../src/element/code-sandbox.js';
import { part } from './element-support/sandbox-dom.js';
import { TestDoubleEngine, testDoubleFactory, type TestDoubleBehaviour } from './element-support/test-double-engine.js';

const REMOTE = 'http://127.0.0.1:1';
const storageKey = (id: string) => `code-sandbox:edits:${location.href.split('#')[0]}#${id}`;

async function sandbox(template: TemplateResult, behaviour: TestDoubleBehaviour = {}): Promise<CodeSandboxElement> {
  const el = await fixture<CodeSandboxElement>(template);
  el.engineFactory = testDoubleFactory({ remote: behaviour });
  return el;
}

const oneFile = (id: string) => html`<code-sandbox id=${id} remote-url=${REMOTE}><pre data-file="index.js">console.log('a')</pre></code-sandbox>`;

const editor = (el: CodeSandboxElement) => el.shadowRoot!.querySelector<HTMLElement>('.cm-content');
const editorText = (el: CodeSandboxElement) => [...el.shadowRoot!.querySelectorAll('.cm-line')].map((line) => line.textContent).join('\n');

/** Focuses the code as a keyboard user does (Tab from a button before it) and waits for the editor. */
async function tabIntoCode(el: CodeSandboxElement): Promise<HTMLElement> {
  const before = document.createElement('button');
  before.textContent = 'before';
  el.before(before);
  before.focus();
  await sendKeys({ press: 'Tab' });
  // The first time, the editor's modules load (in the test server, one request each).
  await waitUntil(() => editor(el) && el.shadowRoot!.activeElement === editor(el), 'the editor opens and has the focus', { timeout: 30_000 });
  before.remove();
  return editor(el)!;
}

/** Replaces the quoted letter in console.log('a') by typing, as a reader does: Home, right past the letter, Backspace, the new letter. */
async function replaceLetter(el: CodeSandboxElement, letter: string): Promise<void> {
  await tabIntoCode(el);
  await sendKeys({ press: 'Home' });
  for (let i = 0; i < "console.log('a".length; i++) await sendKeys({ press: 'ArrowRight' });
  await sendKeys({ press: 'Backspace' });
  await sendKeys({ type: letter });
  await waitUntil(() => editorText(el).includes(`'${letter}'`), `the editor shows '${letter}'`);
}

beforeEach(() => {
  TestDoubleEngine.created = [];
  localStorage.clear();
});

describe('<code-sandbox> editor', () => {
  it('keeps the author\'s <pre> as rendered until the reader focuses the code, then edits it in place', async () => {
    const el = await sandbox(oneFile('lazy'));
    const pre = el.querySelector('pre')!;
    const before = pre.outerHTML;
    await aTimeout(100);
    expect(editor(el), 'no editor before focus').to.equal(null);
    expect(pre.outerHTML).to.equal(before);
    expect(pre.getBoundingClientRect().height).to.be.greaterThan(0);

    const content = await tabIntoCode(el);
    expect(content.getAttribute('aria-label')).to.equal('Edit index.js');
    expect(pre.getBoundingClientRect().height, 'the <pre> is hidden behind the editor').to.equal(0);
    expect(editorText(el)).to.equal("console.log('a')");
    // The grammar parses in the background: the highlighting can come a frame later.
    await waitUntil(() => el.shadowRoot!.querySelector('.tok-string')?.textContent === "'a'", 'the string is highlighted');
  });

  it('runs what the reader typed, and a second run writes only the changed file', async () => {
    const el = await sandbox(html`<code-sandbox id="run-edit" remote-url=${REMOTE}>
      <pre data-file="index.js">console.log('a')</pre>
      <script type="text/plain" data-file="lib.js">module.exports = 1</script>
    </code-sandbox>`);
    await replaceLetter(el, 'b');
    expect(el.edits).to.deep.equal({ 'index.js': "console.log('b')" });
    await el.run();
    const engine = TestDoubleEngine.created[0]!;
    await waitUntil(() => el.status === 'exited');
    expect(engine.files.get('index.js')).to.equal("console.log('b')");
    expect(engine.files.get('lib.js')).to.equal('module.exports = 1');

    await replaceLetter(el, 'c');
    engine.calls.length = 0;
    await el.run();
    await waitUntil(() => el.status === 'exited');
    expect(engine.calls.filter((call) => /^(write|mount)/.test(call))).to.deep.equal(['write index.js']);
    expect(engine.files.get('index.js')).to.equal("console.log('c')");
  });

  it('keeps edits across a reload (per page and id), marks them, and Reset brings back the author\'s files everywhere', async () => {
    const first = await sandbox(oneFile('persisted'));
    await replaceLetter(first, 'b');
    expect(part(first, 'edited').textContent).to.equal('edited');
    expect(JSON.parse(localStorage.getItem(storageKey('persisted'))!)).to.deep.equal({
      files: { 'index.js': { text: "console.log('b')", base: "console.log('a')" } },
    });
    first.remove();

    // "Reload": the same example again; its stored edit shows without a click.
    const el = await sandbox(oneFile('persisted'));
    await waitUntil(() => editorText(el) === "console.log('b')", 'the stored edit shows at once');
    await el.run();
    await waitUntil(() => el.status === 'exited');
    expect(TestDoubleEngine.created[0]!.files.get('index.js')).to.equal("console.log('b')");

    await el.reset();
    expect(editorText(el)).to.equal("console.log('a')");
    expect(TestDoubleEngine.created[0]!.files.get('index.js'), 'the sandbox has the author\'s file').to.equal("console.log('a')");
    expect(localStorage.getItem(storageKey('persisted')), 'the stored edit is gone').to.equal(null);
    expect(part(el, 'edited')).to.equal(null);
  });

  it('keeps nothing with persist="none"', async () => {
    const el = await sandbox(html`<code-sandbox id="ephemeral" persist="none" remote-url=${REMOTE}><pre data-file="index.js">console.log('a')</pre></code-sandbox>`);
    await replaceLetter(el, 'b');
    expect(Object.keys(localStorage).filter((key) => key.startsWith('code-sandbox:'))).to.deep.equal([]);
  });

  it('does not apply stored edits over an example the author changed: the reader chooses', async () => {
    localStorage.setItem(storageKey('changed'), JSON.stringify({ files: { 'index.js': { text: "console.log('mine')", base: "console.log('old')" } } }));
    const el = await sandbox(oneFile('changed'));
    await waitUntil(() => part(el, 'stale-notice'), 'the reader is told');
    expect(editorText(el), 'the new version shows').to.equal("console.log('a')");
    expect(el.edits).to.deep.equal({});
    [...part(el, 'stale-notice').querySelectorAll('button')].find((b) => b.textContent === 'Use my edits')!.click();
    await waitUntil(() => editorText(el) === "console.log('mine')");
    expect(part(el, 'stale-notice')).to.equal(null);
    expect(JSON.parse(localStorage.getItem(storageKey('changed'))!).files['index.js'].base, 'now based on the new version').to.equal("console.log('a')");
  });

  it('shows one tab per visible file, with the ARIA tablist keys', async () => {
    const el = await sandbox(html`<code-sandbox id="tabs" remote-url=${REMOTE}>
      <pre data-file="main.js">import './style.css'</pre>
      <template data-file="index.html" data-visible><h1>Hi</h1></template>
      <script type="text/plain" data-file="package.json">{}</script>
      <pre data-file="style.css">h1 { color: red }</pre>
    </code-sandbox>`);
    await tabIntoCode(el);
    const tabs = [...el.shadowRoot!.querySelectorAll<HTMLElement>('[role="tab"]')];
    expect(tabs.map((tab) => tab.textContent!.trim())).to.deep.equal(['main.js', 'index.html', 'style.css']);
    expect(el.shadowRoot!.querySelector('[role="tablist"]')!.getAttribute('aria-label')).to.equal('Files');
    tabs[0]!.focus();
    await sendKeys({ press: 'ArrowRight' });
    expect(el.shadowRoot!.activeElement).to.equal(tabs[1]);
    expect(tabs[1]!.getAttribute('aria-selected')).to.equal('true');
    expect(editor(el)!.getAttribute('aria-label')).to.equal('Edit index.html');
    expect(editorText(el)).to.equal('<h1>Hi</h1>');
    await sendKeys({ press: 'End' });
    expect(el.shadowRoot!.activeElement).to.equal(tabs[2]);
    await sendKeys({ press: 'ArrowRight' });
    expect(el.shadowRoot!.activeElement, 'wraps').to.equal(tabs[0]);
    await sendKeys({ press: 'Home' });
    await sendKeys({ press: 'ArrowLeft' });
    expect(el.shadowRoot!.activeElement, 'wraps back').to.equal(tabs[2]);
    expect(editorText(el)).to.equal('h1 { color: red }');
    expect(tabs.filter((tab) => tab.tabIndex === 0)).to.deep.equal([tabs[2]]);
  });

  it('does not let the reader edit a readonly example', async () => {
    const el = await sandbox(html`<code-sandbox id="ro" readonly remote-url=${REMOTE}><pre data-file="index.js">console.log('a')</pre></code-sandbox>`);
    const content = await tabIntoCode(el);
    expect(content.getAttribute('contenteditable')).to.equal('false');
    await sendKeys({ type: 'x' });
    expect(editorText(el)).to.equal("console.log('a')");
    expect(el.edits).to.deep.equal({});
  });

  it('lets keyboard users leave the editor with Escape then Tab, and Tab alone indents', async () => {
    const el = await sandbox(oneFile('keys'));
    await tabIntoCode(el);
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement, 'Tab indents').to.equal(editor(el));
    expect(editorText(el)).to.match(/^\s+console/);
    await sendKeys({ press: 'Escape' });
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement, 'the next control has the focus').to.equal(part(el, 'run-button'));
  });

  it('passes the accessibility audit with the editor open', async () => {
    const el = await sandbox(html`<code-sandbox id="a11y" remote-url=${REMOTE} theme="dark">
      <pre data-file="index.js">console.log('a') // note</pre>
      <pre data-file="data.json">{"n": 1}</pre>
    </code-sandbox>`);
    await replaceLetter(el, 'y');
    await expect(el).to.be.accessible();
  });

  it('writes edits through to a running dev server as the reader types, without a run or a mount', async () => {
    const el = await sandbox(html`<code-sandbox id="live" layout="preview" remote-url=${REMOTE}>
      <pre data-file="main.js">console.log('a')</pre>
      <script type="text/plain" data-file="package.json">{"scripts": {"dev": "vite"}}</script>
    </code-sandbox>`);
    const ready = oneEvent(el, 'cs-server-ready');
    await el.run();
    await ready;
    const engine = TestDoubleEngine.created[0]!;
    engine.calls.length = 0;
    await replaceLetter(el, 'b');
    await waitUntil(() => engine.files.get('main.js') === "console.log('b')", 'the edit reaches the sandbox');
    // One write per pause in the typing (a slow driver pauses between Backspace and the letter): never a mount, a run or a restart.
    expect(engine.calls.length).to.be.greaterThan(0);
    expect(engine.calls.every((call) => call === 'write main.js'), engine.calls.join(', ')).to.equal(true);
    expect(el.status).to.equal('running');
  });

  it('shows the expected output before the first run, and the terminal after', async () => {
    const el = await sandbox(html`<code-sandbox id="expected" remote-url=${REMOTE}>
      <pre data-file="index.js">console.log(1)</pre>
      <pre data-output>1</pre>
    </code-sandbox>`);
    const output = el.querySelector('[data-output]')!;
    expect(output.getBoundingClientRect().height).to.be.greaterThan(0);
    await el.run();
    await waitUntil(() => el.status === 'exited');
    await el.updateComplete;
    expect(output.getBoundingClientRect().height).to.equal(0);
    expect(el.edits, 'data-output is not a file').to.deep.equal({});
  });
});
