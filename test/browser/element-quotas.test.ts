/**
 * The per-site quotas as a reader meets them, in <code-sandbox> against a real
 * orchestrator (scripts/wtr/quota-orchestrator-plugin.mjs: one sandbox per page
 * origin an hour, a fifth of a core each, a 3-second miner window).
 */
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../src/define.js';
import type { CodeSandboxElement } from '../../src/element/code-sandbox.js';
import { GONE_WITHIN_MS, sessionOf, waitGone } from './element-support/real-orchestrator.js';
import { part, terminalText } from './element-support/sandbox-dom.js';

const { url: remote } = (await (await fetch('/__quota-orchestrator.json')).json()) as { url: string };

/** Text without whitespace: the terminal wraps long lines at any character. */
const squash = (text: string) => text.replace(/\s+/g, '');

describe('<code-sandbox> and the per-site quotas', function () {
  this.timeout(120_000);

  afterEach(() => {
    for (const el of document.querySelectorAll('code-sandbox')) el.remove();
  });

  it("ends a miner with the reason in its terminal; the site's next run is refused, the status naming the limit and when it resets", async () => {
    const miner = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}><pre data-file="index.js">for (;;) {}</pre></code-sandbox>`);
    const exited = oneEvent(miner, 'cs-exit');
    part(miner, 'run-button').click();
    const reason = 'Ended: this example used all its CPU for 3 seconds, as a crypto miner would. Run it again to restart.';
    await waitUntil(() => squash(terminalText(miner)).includes(squash(reason)), `the reason in the terminal: ${JSON.stringify(terminalText(miner))}`, { timeout: 90_000 });
    expect((await exited).detail.code).to.equal(137);
    await waitGone(sessionOf(miner)!).catch((error: Error) => expect.fail(`within ${GONE_WITHIN_MS} ms: ${error.message}`));

    const next = await fixture<CodeSandboxElement>(html`<code-sandbox remote-url=${remote}><pre data-file="index.js">console.log(6*7)</pre></code-sandbox>`);
    part(next, 'run-button').click();
    await waitUntil(() => next.status === 'error', `a refusal, not ${next.status}: ${next.statusMessage}`, { timeout: 60_000 });
    await next.updateComplete;
    const shown = part(next, 'status').textContent!;
    expect(shown).to.match(new RegExp(`^This site \\(${location.origin.replace(/[.]/g, '\\.')}\\) started 1 sandbox in the last hour \\(limit 1 an hour\\); try again in (59|60) minutes\\.$`));
  });
});
