/**
 * The real orchestrator that web-test-runner starts beside the test server
 * (scripts/wtr/orchestrator-plugin.mjs): its URL, and what it knows of a session.
 */
import { waitUntil } from '@open-wc/testing';
import type { CodeSandboxElement } from '../../../src/element/code-sandbox.js';
import type { RemoteContainerEngine } from '../../../src/remote/remote-container-engine.js';

/** The orchestrator's base URL, for `remote-url`. */
export const remote = ((await (await fetch('/__orchestrator.json')).json()) as { url: string }).url;

/** How long a container gets to go away after its sandbox was torn down. */
export const GONE_WITHIN_MS = 30_000;

/** The session of the element's remote engine, once it booted one. */
export const sessionOf = (el: CodeSandboxElement) => (el.container as RemoteContainerEngine | undefined)?.sessionId;

/** Whether the orchestrator still has a session, and how many containers carry its label. */
export async function session(id: string): Promise<{ exists: boolean; containers: number }> {
  return (await fetch(`/__orchestrator/sessions/${id}`)).json();
}

/** Waits (up to GONE_WITHIN_MS) until the session and its containers are gone. */
export async function waitGone(id: string): Promise<void> {
  let last: unknown;
  await waitUntil(
    async () => {
      last = await session(id);
      return JSON.stringify(last) === JSON.stringify({ exists: false, containers: 0 });
    },
    `session ${id} is still there`,
    { timeout: GONE_WITHIN_MS, interval: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(last)}`);
  });
}
