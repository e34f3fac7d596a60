/** <code-sandbox> configuration: registration, attributes and defaults, page-wide defaults, files. No engine runs here. */
import { expect, fixture, html } from '@open-wc/testing';
import { CodeSandboxElement, defineCodeSandbox } from '../../src/define.js';
import { filesFromChildren } from '../../src/element/files/collect-files.js';
import { resolveConfig } from '../../src/example/sandbox-config.js';
import { TestDoubleEngine, testDoubleFactory } from './element-support/test-double-engine.js';

/** Captures console.warn while `body` runs. */
async function warnings(body: () => Promise<void>): Promise<string[]> {
  const original = console.warn;
  const seen: string[] = [];
  console.warn = (...args: unknown[]) => void seen.push(String(args[0]));
  try {
    await body();
  } finally {
    console.warn = original;
  }
  return seen;
}

function part(el: Element, name: string): HTMLElement | null {
  return el.shadowRoot!.querySelector(`[part~="${name}"]`);
}

describe('<code-sandbox> registration', () => {
  it('registers code-sandbox from the define entry, idempotently, and under other names on request', () => {
    expect(customElements.get('code-sandbox')).to.equal(CodeSandboxElement);
    expect(defineCodeSandbox()).to.equal(CodeSandboxElement);
    const other = defineCodeSandbox('docs-sandbox');
    expect(other.prototype).to.be.instanceOf(CodeSandboxElement);
    expect(customElements.get('docs-sandbox')).to.equal(other);
    expect(defineCodeSandbox('docs-sandbox')).to.equal(other);
  });
});

describe('<code-sandbox> attributes', () => {
  it('has documented defaults', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox></code-sandbox>`);
    expect(el.config).to.deep.equal({
      engine: 'auto', template: undefined, remoteUrl: undefined, command: undefined, install: 'auto', runOn: 'click',
      layout: 'terminal', height: '20rem', theme: 'auto', port: undefined, bootTimeout: 20000, label: 'Runnable example',
      readonly: false, persist: 'local',
    });
    expect(el.status).to.equal('idle');
    expect(part(el, 'status')!.textContent).to.equal('Press Run to start.');
    expect(part(el, 'panes')!.style.height).to.equal('20rem');
    expect(part(el, 'preview')).to.equal(null);
  });

  it('reads kebab-case attributes', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox engine="remote" template="python" remote-url="http://127.0.0.1:8787"
      command="python3 main.py" install="none" run-on="visible" layout="split" height="300" theme="dark" port="8000"
      boot-timeout="5000" label="Hello example" readonly persist="none"></code-sandbox>`);
    expect(el.config).to.deep.equal({
      engine: 'remote', template: 'python', remoteUrl: 'http://127.0.0.1:8787', command: 'python3 main.py', install: 'none',
      runOn: 'visible', layout: 'split', height: '300px', theme: 'dark', port: 8000, bootTimeout: 5000, label: 'Hello example',
      readonly: true, persist: 'none',
    });
    expect(part(el, 'base')!.getAttribute('aria-label')).to.equal('Hello example');
    expect(part(el, 'base')!.classList.contains('dark')).to.equal(true);
    expect(part(el, 'preview')).not.to.equal(null);
    expect(part(el, 'terminal')!.hidden).to.equal(false);
  });

  it('warns about bad values and unknown attributes, shows them, and keeps working', async () => {
    let el!: CodeSandboxElement;
    const seen = await warnings(async () => {
      el = await fixture<CodeSandboxElement>(html`<code-sandbox engine="cloud" layout="grid" height="tall" port="99999"
        remote-url="sandbox.example.com" tempalte="node" data-x="1" aria-describedby="x"></code-sandbox>`);
    });
    expect(el.config).to.include({ engine: 'auto', layout: 'terminal', height: '20rem', port: undefined, remoteUrl: undefined });
    const expected = [
      'engine="cloud" is not one of "auto", "browser", "remote". Using "auto".',
      'layout="grid" is not one of "terminal", "preview", "split". Using "terminal".',
      'height="tall" is not a CSS length such as "320px" or "20rem". Using "20rem".',
      'port="99999" must be a whole number from 1 to 65535. Using no value.',
      'remote-url="sandbox.example.com" is not an http(s) URL such as "https://sandbox.example.com". Using no value.',
      'Unknown attribute "tempalte": did you mean "template"? It is ignored.',
    ];
    for (const message of expected) expect(seen).to.include(`<code-sandbox>: ${message}`);
    expect(seen.join('\n')).not.to.contain('data-x').and.not.to.contain('aria-describedby');
    const shown = [...part(el, 'warnings')!.querySelectorAll('li')].map((li) => li.textContent);
    expect(shown).to.have.members(expected);
  });

  it('takes page-wide defaults from <meta name="code-sandbox:..."> and lets attributes win', async () => {
    const metas = [['remote-url', 'http://127.0.0.1:8787'], ['theme', 'dark']].map(([name, content]) => {
      const meta = document.createElement('meta');
      meta.name = `code-sandbox:${name}`;
      meta.content = content!;
      return document.head.appendChild(meta);
    });
    try {
      const el = await fixture<CodeSandboxElement>(html`<code-sandbox theme="light"></code-sandbox>`);
      expect(el.config).to.include({ remoteUrl: 'http://127.0.0.1:8787', theme: 'light' });
    } finally {
      for (const meta of metas) meta.remove();
    }
  });

  it('parses pure configuration without a DOM, with problems as data', () => {
    const { config, problems } = resolveConfig({ engine: ' Browser ', height: '' }, { engine: 'remote', 'run-on': 'load' });
    expect(config).to.include({ engine: 'browser', runOn: 'load', height: '20rem' });
    expect(problems).to.deep.equal([]);
  });
});

describe('<code-sandbox> files', () => {
  it('collects data-file children: script, template (markup kept for HTML) and pre, dedented, in folders', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox>
      <pre data-file="index.js">
        const a = 1 &amp;&amp; 2;
        console.log(a);
      </pre>
      <script type="text/plain" data-file="src/util.js">
        export const x = '<b>';
      </script>
      <template data-file="public/index.html"><h1 class="t">Hi &amp; bye</h1></template>
      <template data-file="notes.txt">a &lt; b</template>
      <p>not a file</p>
    </code-sandbox>`);
    const { tree, problems } = filesFromChildren(el);
    expect(problems).to.deep.equal([]);
    expect(tree).to.deep.equal({
      'index.js': { file: { contents: 'const a = 1 && 2;\nconsole.log(a);\n' } },
      src: { directory: { 'util.js': { file: { contents: "export const x = '<b>';\n" } } } },
      public: { directory: { 'index.html': { file: { contents: '<h1 class="t">Hi &amp; bye</h1>' } } } },
      'notes.txt': { file: { contents: 'a < b' } },
    });
  });

  it('shows <pre data-file> code as slotted content', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox><pre data-file="index.js">console.log(1)</pre></code-sandbox>`);
    const slot = el.shadowRoot!.querySelector('slot')!;
    expect(slot.assignedElements().map((e) => e.localName)).to.deep.equal(['pre']);
    expect(el.querySelector('pre')!.getBoundingClientRect().height).to.be.above(0);
  });

  it('skips a child whose path leaves the workspace, with a warning', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox><pre data-file="../evil.js">x</pre><pre data-file="ok.js">y</pre></code-sandbox>`);
    const { tree, problems } = filesFromChildren(el);
    expect(Object.keys(tree)).to.deep.equal(['ok.js']);
    expect(problems[0]).to.match(/^<pre data-file="\.\.\/evil\.js"> was skipped: Invalid path/);
  });

  it('merges src (a JSON tree), children and the files property, later ones winning', async () => {
    const factory = testDoubleFactory();
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox engine="remote" remote-url="http://127.0.0.1:1"
      src="/test/browser/element-support/tree.json" command="node index.js">
      <script type="text/plain" data-file="index.js">from children</script>
      <script type="text/plain" data-file="child.js">child</script>
    </code-sandbox>`);
    el.engineFactory = factory;
    el.files = { 'index.js': { file: { contents: 'from the property' } }, 'prop.js': { file: { contents: 'prop' } } };
    await el.run();
    const engine = TestDoubleEngine.created.at(-1)!;
    expect(Object.fromEntries(engine.files)).to.deep.equal({
      'index.js': 'from the property',
      'from-src.js': 'src',
      'lib/deep.js': 'deep',
      'child.js': 'child',
      'prop.js': 'prop',
    });
  });

  it('says how to fix a src that does not load, without throwing', async () => {
    const el = await fixture<CodeSandboxElement>(html`<code-sandbox engine="remote" remote-url="http://127.0.0.1:1" src="/no/such/tree.json"></code-sandbox>`);
    el.engineFactory = testDoubleFactory();
    await el.run();
    expect(el.status).to.equal('error');
    expect(part(el, 'status')!.textContent).to.equal('Could not load the files from src="/no/such/tree.json": HTTP 404. Check the URL.');
  });
});
