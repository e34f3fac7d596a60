/** Follows the reader's `prefers-color-scheme` while the host is on the page. */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class ColorSchemeController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #query = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
  readonly #changed = () => this.#host.requestUpdate();

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** The reader's preferred scheme right now. */
  get preferred(): 'light' | 'dark' {
    return this.#query?.matches ? 'dark' : 'light';
  }

  hostConnected(): void {
    this.#query?.addEventListener('change', this.#changed);
  }

  hostDisconnected(): void {
    this.#query?.removeEventListener('change', this.#changed);
  }
}
