/**
 * The edit bench's page for the browser engine, bundled by the bench with
 * esbuild: the sandbox runs on BrowserContainerEngine over the in-page
 * WebContainer STAND-IN (test/browser/support/webcontainer-stand-in.ts; the
 * real service is out of reach here). The stand-in serves no HTTP, so there is
 * no preview to watch: the page records when each write of an edit into the
 * engine completes, which is the element's and the engine's share of
 * edit → preview.
 */
import { BrowserContainerEngine } from '../../src/browser-engine/browser-container-engine.js';
import { defineCodeSandbox } from '../../src/define.js';
import type { CodeSandboxElement } from '../../src/element/code-sandbox.js';
import { WebContainerStandIn } from '../../test/browser/support/webcontainer-stand-in.js';
import { recordWrites } from './record-writes.js';

defineCodeSandbox();
const el = document.querySelector<CodeSandboxElement>('code-sandbox')!;
el.environment = { family: 'chromium', crossOriginIsolated: true, sharedArrayBuffer: true };
el.engineFactory = async () => recordWrites(new BrowserContainerEngine({ api: WebContainerStandIn }));
