// What the e2e checks read from a demo page: the cs-* events each sandbox fired,
// and its terminal's text.

/** Records every cs-* event (they bubble and are composed) per element id, for the checks to wait on. */
export function recordSandboxEvents() {
  const record = (globalThis.__cs = {});
  const entry = (id) => (record[id] ??= { output: '', exits: [], engines: [], servers: [], errors: [], statuses: [] });
  for (const type of ['cs-output', 'cs-exit', 'cs-engine-selected', 'cs-server-ready', 'cs-error', 'cs-status']) {
    document.addEventListener(type, (event) => {
      const it = entry(event.target.id);
      const detail = event.detail;
      if (type === 'cs-output') it.output += detail.data;
      else if (type === 'cs-exit') it.exits.push(detail.code);
      else if (type === 'cs-engine-selected') it.engines.push(detail);
      else if (type === 'cs-server-ready') it.servers.push(detail);
      else if (type === 'cs-error') it.errors.push(detail.message);
      else it.statuses.push(detail.message);
    });
  }
}

/** What an example's element has recorded so far. */
export async function recorded(page, id) {
  return (await page.evaluate((id) => globalThis.__cs?.[id], id)) ?? { output: '', exits: [], engines: [], servers: [], errors: [], statuses: [] };
}

/** Waits until `predicate(record)` holds; fails with what was recorded (so the reason shows) after `timeout`. */
export async function waitFor(page, id, what, predicate, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const record = await recorded(page, id);
    if (predicate(record)) return record;
    if (record.errors.length) throw new Error(`#${id}: cs-error while waiting for ${what}: ${record.errors.at(-1)}`);
    if (Date.now() > deadline) {
      throw new Error(`#${id}: no ${what} within ${timeout / 1000} s. Status: ${record.statuses.at(-1) ?? 'none'}. Output:\n${record.output.slice(-800)}`);
    }
    await page.waitForTimeout(250);
  }
}

/**
 * The text of an element's xterm (its DOM renderer's rows) once it shows every one of `texts`, or
 * after `timeout` as it is then. xterm parses writes on its own schedule, so the cs-output events can
 * come before the rows show what they carried.
 */
export async function terminalShowing(page, id, texts, timeout = 10_000) {
  const rows = page.locator(`code-sandbox#${id}`).locator('.xterm-rows');
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await rows.innerText();
    if (texts.every((t) => text.includes(t)) || Date.now() > deadline) return text;
    await page.waitForTimeout(100);
  }
}
