// What each demo example must do when its Run button is pressed. One entry per
// <code-sandbox id> on the demo pages; demo.e2e.mjs runs them in this order.
import { expect } from 'chai';
import { terminalText, waitFor } from './support.mjs';

const MINUTE = 60_000;

/** Waits for the exit, then checks the code, the output (events) and the terminal (xterm's rows). */
async function ranTo({ page, sandbox, id }, code, ...texts) {
  const record = await waitFor(page, id, `exit`, (r) => r.exits.length > 0, 2 * MINUTE);
  expect(record.exits.at(-1), `exit code (output: ${record.output.slice(-400)})`).to.equal(code);
  for (const text of texts) expect(record.output, 'cs-output').to.contain(text);
  const terminal = await terminalText(page, id);
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

/**
 * One entry per example: the page (path and query), the element's id, and what
 * must happen after Run. `engine` is the engine it must end up on (the demo
 * pages are not cross-origin isolated, so `auto` picks the server at once).
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
    id: 'http-server',
    engine: 'remote',
    title: 'an HTTP server shows its page in the preview and logs the request',
    async check(t) {
      await previewShows(t, 'Hello from the sandbox', 2 * MINUTE);
      await waitFor(t.page, t.id, 'the request log', (r) => r.output.includes('GET /'), 30_000);
      expect(await terminalText(t.page, t.id), 'terminal').to.contain('listening on 3000');
    },
  },
  {
    page: 'docs.html',
    id: 'vite',
    engine: 'remote',
    title: 'a Vite dev server installs, starts and its page runs its script',
    async check(t) {
      const frame = await previewShows(t, 'Hello from Vite development', 4 * MINUTE);
      await frame.locator('#count').click();
      await frame.locator('#count').filter({ hasText: 'clicked 1 times' }).waitFor({ timeout: 10_000 });
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
      expect(first >= 1, `a visit count (got ${first})`).toBe(true);
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
