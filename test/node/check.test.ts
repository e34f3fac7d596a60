/**
 * `code-sandbox check` as a user runs it (the CLI, in a child process) on real
 * files and the real Docker engine: the Markdown fixture (a passing, a
 * failing, a drifted and a skipped example) and the demo pages.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ExampleReport } from '../../src/check/check-examples.js';
import { createOrchestrator } from '../../src/server/index.js';

const CLI = 'src/check/cli.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function check(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', CLI, 'check', ...args], { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const byId = (json: string): Record<string, ExampleReport> =>
  Object.fromEntries((JSON.parse(json) as { examples: ExampleReport[] }).examples.map((example) => [example.id, example]));

describe('code-sandbox check', function () {
  this.timeout(300_000);
  let folder: string;
  let page: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'code-sandbox-check-'));
    page = join(folder, 'examples.md');
    copyFileSync('test/fixtures/markdown/examples.md', page);
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('reports every example of a Markdown page and fails on the broken one, naming its file and line', async () => {
    const { code, stdout } = await check(page);
    expect(code).to.equal(1);
    expect(stdout).to.match(new RegExp(`✓ ${page}:8 #greet  node, exit 0, [\\d.]+ s, output matches`));
    expect(stdout).to.match(new RegExp(`✗ ${page}:23 #broken  node, exit 1`));
    expect(stdout).to.include('Error: this example is broken');
    expect(stdout).to.match(new RegExp(`≠ ${page}:30 #drifted  python, exit 0, [\\d.]+ s, output differs\\n\\s+expected:\\n\\s+42\\n\\s+actual:\\n\\s+45`));
    expect(stdout).to.include(`- ${page}:40 #waits  skipped`);
    expect(stdout).to.match(/4 examples: 1 passed, 1 failed, 1 drifted, 1 skipped in [\d.]+ s\n$/);
  });

  it('--update writes the actual output over the drifted one (nothing else in the file changes) and the next run passes it', async () => {
    const before = readFileSync(page, 'utf8');
    const updated = await check('--update', '--json', page);
    expect(byId(updated.stdout)['drifted']).to.include({ status: 'drifted', updated: true, output: '45' });
    expect(readFileSync(page, 'utf8')).to.equal(before.replace('```text output\n42\n```', '```text output\n45\n```'));
    const again = await check('--json', page);
    const reports = byId(again.stdout);
    expect(reports['drifted']).to.include({ status: 'passed', outputMatched: true, exitCode: 0 });
    expect(reports['broken']).to.include({ status: 'failed', exitCode: 1, line: 23, file: page });
    expect(again.code, 'still failing: the broken example').to.equal(1);
    expect(again.stderr, 'progress on stderr').to.match(/\[4\/4\]/);
  });

  it('passes once the only problem is output that --mask covers', async () => {
    copyFileSync('test/fixtures/markdown/examples.md', page);
    const { stdout } = await check('--json', '--mask', '^4\\d$', page);
    expect(byId(stdout)['drifted']).to.include({ status: 'passed', outputMatched: true });
  });

  it('runs the demo pages\' examples: HTML files, a glob, dev servers included', async () => {
    const { stdout } = await check('--json', '--jobs', '3', 'demo/*.html');
    const reports = byId(stdout);
    const passing = ['node-script', 'edit-me', 'modules-example', 'http-server', 'vite', 'python', 'shell', 'go', 'rust', 'ruby', 'php', 'database'];
    expect(Object.keys(reports).sort()).to.deep.equal([...passing, 'fails', 'interactive'].sort());
    for (const id of passing) expect(reports[id], id).to.include({ status: 'passed', exitCode: 0 });
    // The blog's example of a failing run, and the prompt that waits for a reader, are marked data-check="skip".
    expect(reports['fails']).to.include({ status: 'skipped', file: 'demo/blog.html' });
    expect(reports['interactive']).to.include({ status: 'skipped', file: 'demo/docs.html' });
  });

  it('reads <code-sandbox> HTML in a Markdown page (MkDocs style) and --update rewrites its <pre data-output> alone', async () => {
    const mkdocs = join(folder, 'mkdocs.md');
    const html = (output: string) => `# MkDocs page\n\n<code-sandbox id="sum" template="python">\n<pre data-file="main.py">print(sum(range(10)) &lt; 50)</pre>\n<pre data-output>${output}</pre>\n</code-sandbox>\n\nText after.\n`;
    writeFileSync(mkdocs, html('False'));
    const first = await check('--update', '--json', mkdocs);
    expect(byId(first.stdout)['sum']).to.include({ status: 'drifted', line: 3, output: 'True', updated: true });
    expect(readFileSync(mkdocs, 'utf8')).to.equal(html('True'));
    const again = await check(mkdocs);
    expect(again.code).to.equal(0);
  });

  it('runs on a code-sandbox server given by URL, with its API key', async () => {
    const orchestrator = createOrchestrator({ owner: `check-test-${process.pid}`, apiKeys: ['docs-ci'], requireApiKey: true, log: () => undefined });
    try {
      const url = await orchestrator.listen(0, '127.0.0.1');
      const { code, stdout } = await check('--json', '--remote-url', url, '--api-key', 'docs-ci', page);
      expect(code).to.equal(1);
      const reports = byId(stdout);
      expect(reports['greet']).to.include({ status: 'passed', stack: 'node', exitCode: 0 });
      expect(reports['broken']).to.include({ status: 'failed', exitCode: 1 });
      expect(reports['drifted']).to.include({ status: 'drifted', stack: 'python', output: '45' });
    } finally {
      await orchestrator.close();
    }
  });

  it('says what to fix when the files or options are wrong, with exit code 2', async () => {
    expect(await check(join(folder, 'nothing-*.md'))).to.include({ code: 2 }).and.to.have.property('stderr').that.includes('No file matches');
    expect(await check('--jobs', 'many', page)).to.have.property('stderr').that.includes('--jobs must be a positive number, not "many"');
  });
});
