/**
 * The demo's Go and Python examples, exactly as the demo pages carry them, in
 * <code-sandbox> in Chromium, Firefox and WebKit (web-test-runner groups) with the
 * real RemoteContainerEngine against the real orchestrator: the stack inferred from
 * the files picks the server's image, and the output reaches the terminal.
 */
import { expect, waitUntil } from '@open-wc/testing';
import '../../src/define.js';
import type { CodeSandboxElement } from '../../src/element/code-sandbox.js';
import { terminalText } from './element-support/sandbox-dom.js';

const { url: remote } = (await (await fetch('/__orchestrator.json')).json()) as { url: string };


/** The `<code-sandbox id>` of a demo page, copied into this page, pointed at the test's orchestrator. */
async function demoExample(page: string, id: string): Promise<CodeSandboxElement> {
  const doc = new DOMParser().parseFromString(await (await fetch(`/demo/${page}`)).text(), 'text/html');
  const source = doc.querySelector(`code-sandbox#${id}`);
  if (!source) throw new Error(`demo/${page} has no #${id}`);
  await customElements.whenDefined('code-sandbox');
  const el = document.createElement('code-sandbox') as CodeSandboxElement;
  for (const { name, value } of source.attributes) el.setAttribute(name, value);
  el.setAttribute('remote-url', remote);
  el.innerHTML = source.innerHTML;
  document.body.append(el);
  await el.updateComplete;
  return el;
}

describe('the demo\'s Go and Python examples, in this browser, on the server', function () {
  this.timeout(180_000);
  afterEach(() => {
    for (const el of document.querySelectorAll('code-sandbox')) el.remove();
  });

  for (const [page, id, texts] of [
    ['stacks.html', 'go', ['words: 4 longest: quick', 'built with go1.']],
    ['blog.html', 'python', ['sum: 140', 'Python 3.']],
  ] as const) {
    it(`${id} (demo/${page}) runs in its stack's image and prints its output`, async () => {
      const el = await demoExample(page, id);
      el.shadowRoot!.querySelector<HTMLElement>('[part~="run-button"]')!.click();
      await waitUntil(() => el.statusMessage.startsWith('Exited'), `the example exits: ${el.statusMessage}`, { timeout: 150_000, interval: 250 });
      expect(el.statusMessage).to.equal('Exited with code 0');
      await waitUntil(() => texts.every((text) => terminalText(el).includes(text)), `the terminal shows ${texts.join(', ')}: ${terminalText(el)}`, { timeout: 10_000 });
    });
  }
});
