/**
 * Engine selection: which engine runs an example, and why, from what the author
 * asked for, the example's stack, what the reader's browser can do and whether a
 * remote engine is configured. Pure: no DOM, no globals, so the whole matrix is
 * unit-tested.
 */
import type { Stack } from '../engine/stack.js';
import type { RequestedEngine } from '../example/sandbox-config.js';

/** The engines that can run an example. */
export type EngineKind = 'browser' | 'remote';

/** The browser engine family, which decides whether WebContainers can run at all. */
export type BrowserFamily = 'chromium' | 'firefox' | 'webkit' | 'unknown';

/** What the reader's browser can do (see `detectEnvironment`). */
export interface EngineEnvironment {
  /** The page is cross-origin isolated (COOP `same-origin` plus COEP `require-corp` or `credentialless`). */
  crossOriginIsolated: boolean;
  /** `SharedArrayBuffer` is available (it is hidden on pages that are not isolated). */
  sharedArrayBuffer: boolean;
  /** The browser's engine family; every iOS browser is `webkit`. */
  family: BrowserFamily;
}

/** What the author configured. */
export interface SelectionConfig {
  /** The engine the author asked for (default `auto`). */
  engine?: RequestedEngine;
  /** The example's stack (the `template` attribute, else inferred from its files); undefined when nothing says. */
  stack?: Stack | undefined;
  /** Whether a remote engine (an orchestrator URL) is configured. */
  remoteConfigured: boolean;
}

/** The engine that runs, the reason to show the reader, and where to go if it fails to start. */
export interface EngineChoice {
  engine: EngineKind;
  /** One sentence for the reader, e.g. "Running on a server: Safari can't run WebContainers." */
  reason: string;
  /** Set when the browser engine is chosen and a remote engine can take over if it fails to boot. */
  fallback?: 'remote';
}

/** No engine can run the example here; `error` says what the author (or reader) can do about it. */
export interface SelectionError {
  error: string;
}

/** The result of `selectEngine`. */
export type EngineSelection = EngineChoice | SelectionError;

/** Whether a selection found no engine. */
export function isSelectionError(selection: EngineSelection): selection is SelectionError {
  return 'error' in selection;
}

/** The stacks WebContainers run (Node.js only; no Python, Go, Rust... binaries). */
const BROWSER_STACKS: ReadonlySet<Stack> = new Set<Stack>(['node']);

const STACK_NAMES: Record<Stack, string> = {
  node: 'Node.js',
  python: 'Python',
  go: 'Go',
  rust: 'Rust',
  ruby: 'Ruby',
  php: 'PHP',
  shell: 'a POSIX shell',
};

const SET_REMOTE = 'set remote-url (or a page-wide <meta name="code-sandbox:remote-url" content="...">)';
const ISOLATION_FIX =
  'serve the page with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';

/**
 * Chooses the engine. Rules, in order:
 * 1. `remote` requested: remote if configured, else an error.
 * 2. A stack WebContainers cannot run (anything but Node.js): remote if configured
 *    (and not `browser` requested), else an error naming the stack.
 * 3. Safari/WebKit (every iOS browser): no WebContainers; remote or an error.
 * 4. A page that is not cross-origin isolated, or without SharedArrayBuffer:
 *    no WebContainers; remote or an error saying which headers to send.
 * 5. Firefox runs WebContainers only partly: with `auto`, remote when configured,
 *    else the browser engine; with `browser`, the browser engine.
 * 6. Otherwise (Chromium, or an unknown engine that passed the feature checks):
 *    the browser engine, with `fallback: 'remote'` when a remote is configured.
 * An undefined stack is treated as Node.js, the common case for docs examples.
 */
export function selectEngine(config: SelectionConfig, environment: EngineEnvironment): EngineSelection {
  const requested = config.engine ?? 'auto';
  const remote = config.remoteConfigured;

  if (requested === 'remote') {
    return remote
      ? { engine: 'remote', reason: 'Running on a server: this example asks for the remote engine.' }
      : { error: `This example asks for the remote engine, but none is configured: ${SET_REMOTE}.` };
  }

  const stack = config.stack ?? 'node';
  if (!BROWSER_STACKS.has(stack)) {
    const needs = `This example needs ${STACK_NAMES[stack]}, which WebContainers cannot run`;
    if (requested === 'browser') return { error: `${needs}; remove engine="browser" and ${SET_REMOTE}.` };
    return remote
      ? { engine: 'remote', reason: `Running on a server: this example needs ${STACK_NAMES[stack]}, which WebContainers cannot run.` }
      : { error: `${needs}; ${SET_REMOTE} to run it on a server.` };
  }

  const blocker = browserBlocker(environment);
  if (blocker) {
    if (requested === 'auto' && remote) return { engine: 'remote', reason: `Running on a server: ${blocker.why}.` };
    const fix = requested === 'browser' ? `${blocker.fix}, or remove engine="browser" and ${SET_REMOTE}` : `${blocker.fix}, or ${SET_REMOTE}`;
    return { error: `${capitalise(blocker.why)}: ${fix}.` };
  }

  if (environment.family === 'firefox') {
    if (requested === 'auto' && remote) {
      return { engine: 'remote', reason: 'Running on a server: Firefox runs WebContainers only partly.' };
    }
    return withFallback(
      { engine: 'browser', reason: 'Running in your browser (WebContainers, partly supported in Firefox).' },
      remote && requested === 'browser',
    );
  }

  const why = requested === 'browser' ? 'this example asks for the browser engine' : 'this page can run Node.js in your browser';
  return withFallback({ engine: 'browser', reason: `Running in your browser (WebContainers): ${why}.` }, remote);
}

/** Why the browser engine cannot start here, and how to fix it; undefined when nothing stands in the way. */
function browserBlocker(environment: EngineEnvironment): { why: string; fix: string } | undefined {
  if (environment.family === 'webkit') {
    return { why: "Safari can't run WebContainers", fix: 'open the page in a Chromium-based browser' };
  }
  if (!environment.crossOriginIsolated || !environment.sharedArrayBuffer) {
    return {
      why: 'this page is not cross-origin isolated, which WebContainers need',
      fix: ISOLATION_FIX,
    };
  }
  return undefined;
}

function withFallback(choice: EngineChoice, remote: boolean): EngineChoice {
  return remote ? { ...choice, fallback: 'remote' } : choice;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
