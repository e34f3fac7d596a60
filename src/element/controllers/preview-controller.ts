/**
 * The dev server preview: which URL the frame shows, reloads, navigation from
 * the address bar (within the server's origin only), and the frame's sandbox
 * flags, which never let it share the host page's origin.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Sandbox flags every preview gets: scripts, forms, modals, downloads. No
 * popups: a preview can script the about:blank window it opens (same origin),
 * and in Firefox that window may navigate the host page (`opener.top`) even
 * when popups do not escape the sandbox. The reader opens the preview in a tab
 * of its own with the address bar's "Open in new tab".
 */
const BASE_SANDBOX = 'allow-scripts allow-forms allow-modals allow-downloads';

/**
 * The iframe `sandbox` for a preview at `url` on a page at `hostOrigin`. The
 * frame keeps its own origin (storage, service workers, what dev servers need)
 * only when that origin differs from the host page's; on the same origin it
 * gets an opaque one, so it can never reach into the host page.
 */
export function previewSandbox(url: string, hostOrigin: string): string {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return BASE_SANDBOX;
  }
  return origin !== 'null' && origin !== hostOrigin ? `${BASE_SANDBOX} allow-same-origin` : BASE_SANDBOX;
}

export class PreviewController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #url: string | undefined;
  #reloads = 0;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** The URL the frame shows; undefined when no server is ready. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Changes whenever the frame must be re-created (a reload). */
  get frameKey(): number {
    return this.#reloads;
  }

  /** Shows a server's URL (or nothing). */
  show(url: string | undefined): void {
    if (url === this.#url) return;
    this.#url = url;
    this.#host.requestUpdate();
  }

  /** Reloads the frame (a cross-origin frame cannot be reloaded from outside, so it is re-created). */
  reload(): void {
    this.#reloads++;
    this.#host.requestUpdate();
  }

  /**
   * Navigates to what the reader typed: a path, or a URL on the server's origin.
   * Returns a message when the address is refused.
   */
  navigate(address: string): string | undefined {
    if (!this.#url) return 'No server is running yet: press Run first.';
    const base = new URL(this.#url);
    let target: URL;
    try {
      target = new URL(address.trim() || '/', base);
    } catch {
      return `"${address}" is not an address; type a path such as /about.`;
    }
    if (target.origin !== base.origin) return `The preview only shows ${base.origin}; type a path such as /about.`;
    this.#url = target.href;
    this.reload();
    return undefined;
  }

  hostConnected(): void {
    // The frame appears when a server is ready.
  }

  hostDisconnected(): void {
    this.#url = undefined;
  }
}
