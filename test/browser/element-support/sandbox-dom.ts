/** Using a <code-sandbox> as a reader does: its parts, its terminal's text, typing into it. */
import { sendKeys } from '@web/test-runner-commands';

/** The element's part named `name` (e.g. `run-button`, `status`, `frame`). */
export const part = (el: Element, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`)!;

/** The terminal's visible rows, as text. */
export const terminalText = (el: Element) =>
  [...el.shadowRoot!.querySelectorAll('.xterm-rows > div')].map((row) => row.textContent!.trimEnd()).join('\n');

/** Types into the terminal as a reader does: focuses it, then real key presses (`type` text, then `press` keys). */
export async function typeIntoTerminal(el: Element, type: string, ...press: string[]): Promise<void> {
  el.shadowRoot!.querySelector<HTMLTextAreaElement>('.xterm-helper-textarea')!.focus();
  if (type) await sendKeys({ type });
  for (const key of press) await sendKeys({ press: key });
}
