/**
 * The Markdown plugins on the fixture: the runnable blocks become
 * <code-sandbox> markup the element and the checker read (the checker's HTML
 * reader finds in the rendered page what its Markdown reader finds in the
 * source), the site's highlighted block stays, and the bundles stay free of
 * Lit and the server.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { build } from 'esbuild';
import MarkdownIt from 'markdown-it';
import rehypeStringify from 'rehype-stringify';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';
import { examplesIn, type SourceExample } from '../../src/check/example-source.js';
import codeSandbox from '../../src/markdown/markdown-it.js';
import remarkCodeSandbox from '../../src/markdown/remark.js';

const FIXTURE_PATH = 'test/fixtures/markdown/examples.md';
const fixture = readFileSync(FIXTURE_PATH, 'utf8');

/** What matters of an example: its id, files, expected output and skip mark. */
const summary = (examples: SourceExample[]) =>
  examples.map(({ id, files, expected, skip, problems }) => ({ id, files, expected: expected?.text, skip, problems }));

const renderers = {
  'markdown-it': (source: string, onProblem?: (message: string, where: { line: number }) => void) =>
    new MarkdownIt({ highlight: (code, lang) => `<pre class="highlighted" data-lang="${lang}"><code>${code.replace(/</g, '&lt;')}</code></pre>` })
      .use(codeSandbox, onProblem ? { onProblem } : {})
      .render(source),
  remark: async (source: string, onProblem?: (message: string, where: { line: number }) => void) =>
    String(await unified().use(remarkParse).use(remarkCodeSandbox, onProblem ? { onProblem } : {}).use(remarkRehype).use(rehypeStringify).process(source)),
};

for (const [name, render] of Object.entries(renderers)) {
  describe(`code-sandbox/${name}`, () => {
    it('turns each runnable example of the fixture into <code-sandbox> with the same files, output and skip mark as the source', async () => {
      const html = await render(fixture);
      const fromHtml = summary(examplesIn('page.html', html));
      expect(fromHtml.map((example) => example.id)).to.deep.equal(['greet', 'broken', 'drifted', 'waits']);
      expect(fromHtml).to.deep.equal(summary(examplesIn(FIXTURE_PATH, fixture)));
      expect(fromHtml[0]!.files).to.have.keys('index.js', 'greet.js');
      expect(fromHtml[0]!.expected).to.equal('Hello, docs!');
      expect(fromHtml[3]!.skip).to.equal(true);
    });

    it('keeps the code blocks as the site renders them, inside the element, and the output block becomes <pre data-output>', async () => {
      const html = await render(fixture);
      const greet = html.slice(html.indexOf('<code-sandbox id="greet"'), html.indexOf('</code-sandbox>') + 15);
      const visible = name === 'markdown-it' ? /<pre class="highlighted" data-lang="js">/g : /<pre><code class="language-js">/g;
      expect(greet.match(visible), 'highlighted blocks').to.have.length(2);
      expect(greet).to.include('<pre hidden data-file="index.js">').and.to.include('<pre hidden data-file="greet.js">');
      expect(greet).to.match(/<pre data-output(="")?>Hello, docs!<\/pre>/);
      expect(html, 'the output block is not shown twice').not.to.include('language-text');
    });

    it('leaves code blocks without the sandbox flag alone', async () => {
      const html = await render('```js\nconsole.log(1)\n```\n\n```text output\n1\n```\n');
      expect(html).not.to.include('code-sandbox');
      expect(html).to.include('console.log(1)');
    });

    it('reports a bad info string with its line and still renders the example', async () => {
      const problems: Array<[string, number]> = [];
      const html = await render('# Title\n\n```ruby sandbox layout=grid\nputs 1\n```\n\n```txt sandbox\nhi\n```\n', (message, { line }) => problems.push([message, line]));
      expect(problems.map(([message]) => message)).to.deep.equal([
        'layout="grid" is not one of "terminal", "preview", "split". Using "terminal".',
        'A `sandbox` block in "txt" needs a file name: add file=NAME to its info string, e.g. `txt sandbox file=index.js`.',
      ]);
      expect(problems.map(([, line]) => line)).to.deep.equal([3, 7]);
      expect(html).to.include('<pre hidden data-file="main.rb">puts 1</pre>');
    });

    it('escapes code so that markup and template syntax in it stay text', async () => {
      const code = 'const html = `<b>{{ name }}</b>` && "</pre>";';
      const [example] = examplesIn('page.html', await render(`\`\`\`js sandbox\n${code}\n\`\`\`\n`));
      expect(example!.files['index.js']).to.deep.equal({ file: { contents: code } });
    });
  });
}

describe('the Markdown plugin bundles', () => {
  for (const entry of ['remark', 'markdown-it']) {
    it(`code-sandbox/${entry} pulls in neither Lit nor the server nor any dependency`, async () => {
      const result = await build({ entryPoints: [`src/markdown/${entry}.ts`], bundle: true, write: false, metafile: true, format: 'esm', platform: 'neutral', logLevel: 'silent' });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((path) => /node_modules|src\/(server|remote|element\/(code-sandbox|controllers|terminal))/.test(path))).to.deep.equal([]);
      expect(result.outputFiles[0]!.contents.byteLength).to.be.below(16_000);
    });
  }
});
