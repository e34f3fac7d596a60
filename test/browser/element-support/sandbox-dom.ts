/** Using a <code-sandbox> as a reader does: its parts, its terminal's text, typing into it. */
import { sendKeys } from '@web/test-runner-commands';

/** The element's part named `name` (e.g. `run-button`, `status`, `frame`). */
export const part = (el: Element, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`)!;

/**
 * The terminal's rows, as text, as a reader sees them: xterm draws a terminal
 * only while it is on screen, so the terminal is scrolled into view first (a
 * caller polling with waitUntil sees the rows drawn on the next frame).
 */
export const terminalText = (el: Element) => {
  (el.shadowRoot!.querySelector('[part~="terminal"]') ?? el).scrollIntoView({ block: 'nearest' });
  return [...el.shadowRoot!.querySelectorAll('.xterm-rows > div')].map((row) => row.textContent!.trimEnd()).join('\n');
};

/** Types into the terminal as a reader does: focuses it, then real key presses (`type` text, then `press` keys). */
export async function typeIntoTerminal(el: Element, type: string, ...press: string[]): Promise<void> {
  el.shadowRoot!.querySelector<HTMLTextAreaElement>('.xterm-helper-textarea')!.focus();
  if (type) await sendKeys({ type });
  for (const key of press) await sendKeys({ press: key });
}
