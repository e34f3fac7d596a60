// What each demo example must do when its Run button is pressed. One entry per
// <code-sandbox id> on the demo pages; demo.e2e.mjs runs them in this order.
import { expect } from 'chai';
import { recorded, terminalShowing, waitFor } from './support.mjs';

const MINUTE = 60_000;

/** Waits for the exit, then checks the code, the output (events) and the terminal (xterm's rows). */
async function ranTo({ page, sandbox, id }, code, ...texts) {
  const record = await waitFor(page, id, `exit`, (r) => r.exits.length > 0, 2 * MINUTE);
  expect(record.exits.at(-1), `exit code (output: ${record.output.slice(-400)})`).to.equal(code);
  for (const text of texts) expect(record.output, 'cs-output').to.contain(text);
  const terminal = await terminalShowing(page, id, texts);
  for (const text of texts) expect(terminal, 'terminal').to.contain(text);
  expect(await sandbox.locator('[part="status"]').innerText(), 'status').to.equal(`Exited with code ${code}`);
  return record;
}

/** Waits for the dev server, then returns the preview frame once it shows `text`. */
async function previewShows({ page, sandbox, id }, text, timeout) {
  const record = await waitFor(page, id, 'cs-server-ready', (r) => r.servers.length > 0, timeout);
  const { url } = record.servers.at(-1);
  expect(url, 'preview URL').to.match(/^http:\/\/[a-z0-9]+-\d+\.localhost:\d+\/$/);
  const frame = sandbox.frameLocator('iframe[part="frame"]');
  await frame.locator('body').filter({ hasText: text }).waitFor({ timeout: 30_000 });
  return frame;
}

/** The reader's editor in an example: CodeMirror's content element, once the editor has opened. */
const editorOf = (sandbox) => sandbox.locator('.cm-content');

/** The editor's text, line by line. */
const editorText = async (sandbox) => (await sandbox.locator('.cm-line').allInnerTexts()).join('\n');

/** Runs the example and waits for the next exit; returns the lines printed since the run started. */
async function runAndRead({ page, sandbox, id }) {
  const before = await recorded(page, id);
  await sandbox.getByRole('button', { name: 'Run', exact: true }).click();
  const after = await waitFor(page, id, 'exit', (r) => r.exits.length > before.exits.length, 2 * MINUTE);
  return after.output.slice(before.output.length).split(/\r?\n/);
}

/** Replaces the letter in console.log('a') as a reader does: click into the code, arrow keys, Backspace, type. */
async function replaceLetter({ page, sandbox }, letter) {
  await sandbox.locator('.cm-line, pre[data-file]').first().click();
  await editorOf(sandbox).waitFor();
  await page.keyboard.press('Home');
  for (let i = 0; i < "console.log('a".length; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(letter);
}

/**
 * One entry per example: the page (path and query), the element's id, and what
 * must happen after Run (`runFirst: false`: the check presses Run itself).
 * `engine` is the engine it must end up on (the demo pages are not
 * cross-origin isolated, so `auto` picks the server at once).
 */
export const EXAMPLES = [
  {
    page: 'docs.html',
    id: 'node-script',
    engine: 'remote',
    title: 'a Node.js script prints and exits 0',
    check: (t) => ranTo(t, 0, '3. router', 'Node.js v'),
  },
  {
    page: 'docs.html',
    id: 'edit-me',
    engine: 'remote',
    runFirst: false,
    title: 'a reader edits the code and runs it, finds the edit after a reload, and Reset brings back the original',
    async check(t) {
      const { page, sandbox, id } = t;
      const expected = sandbox.locator('[data-output]');
      expect(await expected.isVisible(), 'expected output shown before the run').to.equal(true);
      expect(await editorOf(sandbox).count(), 'no editor before the reader asks').to.equal(0);
      await replaceLetter(t, 'b');
      expect(await editorText(sandbox)).to.equal("console.log('b')");
      expect(await runAndRead(t), 'the edited code ran').to.include('b');
      expect(await expected.isVisible(), 'the terminal replaces the expected output').to.equal(false);

      await page.reload();
      await page.evaluate(() => customElements.whenDefined('code-sandbox'));
      const again = page.locator(`code-sandbox#${id}`);
      await editorOf(again).waitFor();
      expect(await editorText(again), 'the edit survives a reload').to.equal("console.log('b')");
      expect(await again.locator('[part~="edited"]').innerText()).to.equal('edited');

      await again.getByRole('button', { name: 'Reset files' }).click();
      await again.locator('[part~="edited"]').waitFor({ state: 'detached' });
      expect(await editorText(again)).to.equal("console.log('a')");
      const stored = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('code-sandbox:edits:')));
      expect(stored, 'stored edits after Reset').to.deep.equal([]);
      expect(await runAndRead({ ...t, sandbox: again }), 'the original runs again').to.include('a');
    },
  },
  {
    page: 'docs.html',
    id: 'modules-example',
    engine: 'remote',
    title: 'a multi-file example shows a tab per file and runs',
    async check(t) {
      await ranTo(t, 0, 'Hello, docs reader!');
      const tabs = t.sandbox.getByRole('tab');
      expect(await tabs.allInnerTexts()).to.deep.equal(['index.mjs', 'greet.mjs']);
      await tabs.nth(1).click();
      expect(await editorText(t.sandbox)).to.contain('export function greet(name)');
    },
  },
  {
    page: 'docs.html',
    id: 'http-server',
    engine: 'remote',
    title: 'an HTTP server shows its page in the preview and logs the request',
    async check(t) {
      await previewShows(t, 'Hello from the sandbox', 2 * MINUTE);
      await waitFor(t.page, t.id, 'the request log', (r) => r.output.includes('GET /'), 30_000);
      expect(await terminalShowing(t.page, t.id, ['listening on 3000']), 'terminal').to.contain('listening on 3000');
    },
  },
  {
    page: 'docs.html',
    id: 'vite',
    engine: 'remote',
    title: 'a Vite dev server installs, starts and its page runs its script',
    async check(t) {
      // Vite announces a changed file over its HMR socket: an edit made before the preview has connected is never shown.
      const hmr = t.page.waitForEvent('console', { predicate: (message) => message.text().includes('[vite] connected'), timeout: 4 * MINUTE });
      const frame = await previewShows(t, 'Hello from Vite development', 4 * MINUTE);
      await frame.locator('#count').click();
      await frame.locator('#count').filter({ hasText: 'clicked 1 times' }).waitFor({ timeout: 10_000 });
      // The reader edits main.js while the dev server runs: the preview follows without Run.
      expect(await t.sandbox.getByRole('tab').allInnerTexts()).to.deep.equal(['main.js', 'index.html']);
      await hmr;
      await editorOf(t.sandbox).click();
      await t.page.keyboard.press('Control+End');
      await t.page.keyboard.press('Enter');
      // One input, as a paste: typed key by key, the dev server would also load (and report) the half-typed lines.
      await t.page.keyboard.insertText("document.body.append('edited live');");
      await frame.locator('body').filter({ hasText: 'edited live' }).waitFor({ timeout: 30_000 });
      const record = await recorded(t.page, t.id);
      expect(record.servers.length, 'the dev server was not restarted').to.equal(1);
    },
  },
  {
    page: 'docs.html',
    id: 'interactive',
    engine: 'remote',
    title: 'the terminal takes keyboard input',
    async check(t) {
      await waitFor(t.page, t.id, 'the prompt', (r) => r.output.includes('What is your name?'), 2 * MINUTE);
      await t.sandbox.locator('.xterm').click();
      await t.page.keyboard.type('Ada');
      await t.page.keyboard.press('Enter');
      await ranTo(t, 0, 'Hello, Ada!');
    },
  },
  {
    page: 'blog.html',
    id: 'python',
    engine: 'remote',
    title: 'a Python script runs on the server',
    check: (t) => ranTo(t, 0, 'sum: 140', 'Python 3.'),
  },
  {
    page: 'blog.html',
    id: 'fails',
    engine: 'remote',
    title: 'an example that fails shows its message and exit code 3',
    check: (t) => ranTo(t, 3, 'settings.json not found'),
  },
  {
    page: 'blog.html',
    id: 'shell',
    engine: 'remote',
    title: 'a shell command line (light box on a dark page) sees the exit code',
    async check(t) {
      await ranTo(t, 0, 'exit code: 3');
      const background = await t.sandbox.locator('[part="base"]').evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(background, 'light theme background').to.equal('rgb(255, 255, 255)');
    },
  },
  {
    page: 'stacks.html',
    id: 'go',
    engine: 'remote',
    title: 'a Go module (stack inferred from go.mod) builds and runs in the Go image',
    check: (t) => ranTo(t, 0, 'words: 4 longest: quick', 'built with go1.'),
  },
  {
    page: 'stacks.html',
    id: 'rust',
    engine: 'remote',
    title: 'a Rust package (stack inferred from Cargo.toml) compiles and runs in the Rust image',
    check: (t) => ranTo(t, 0, 'primes below 50: [2, 3, 5, 7,', '15 of them'),
  },
  {
    page: 'stacks.html',
    id: 'ruby',
    engine: 'remote',
    title: 'a Ruby script runs in the Ruby image',
    check: (t) => ranTo(t, 0, 'pears: 5', 'Ruby 3.'),
  },
  {
    page: 'stacks.html',
    id: 'php',
    engine: 'remote',
    title: 'a PHP script runs in the PHP image',
    check: (t) => ranTo(t, 0, 'GO · RUST · RUBY · PHP', 'PHP 8.'),
  },
  {
    page: 'stacks.html',
    id: 'database',
    engine: 'remote',
    title: 'a Node.js server counts visits in a Redis server running in its sandbox',
    async check(t) {
      const frame = await previewShows(t, 'Counted by Redis', 3 * MINUTE);
      const first = Number(/Visit number (\d+)/.exec(await frame.locator('h1').innerText())?.[1]);
      expect(first, 'a visit count').to.be.at.least(1);
      await frame.locator('body').evaluate(() => location.reload());
      await frame.locator('h1').filter({ hasText: `Visit number ${first + 1}` }).waitFor({ timeout: 30_000 });
    },
  },
  {
    page: 'docs.html?coi',
    id: 'node-script',
    title: 'on a cross-origin isolated page, auto tries the in-browser engine first, then falls back to the server',
    async check(t) {
      // Here the WebContainer service is unreachable, so its boot times out (boot-timeout, 20 s) and the
      // sandbox falls back; where it is reachable, the example runs in the browser. Both must print.
      const record = await ranTo(t, 0, '3. router');
      expect(record.engines[0]?.engine, 'first choice').to.equal('browser');
      if (record.engines.length > 1) {
        expect(record.engines.at(-1)?.engine, 'fallback').to.equal('remote');
        expect(record.output, 'fallback notice').to.contain('Running on a server: the in-browser engine could not start');
      }
    },
  },
];
