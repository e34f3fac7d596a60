/**
 * The terminal: xterm.js and its fit addon, loaded with `import()` on first use,
 * opened in the host's shadow root with xterm's CSS adopted there. It sizes
 * itself to its box (ResizeObserver), follows the theme through CSS custom
 * properties, sends keystrokes to `onInput`, and writes output through an
 * `OutputPump` (xterm's write callbacks as flow control). One terminal per host:
 * it is disposed when the host leaves the page and re-created on the next run.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { FitAddon } from '@xterm/addon-fit';
import type { ITheme, Terminal } from '@xterm/xterm';
import type { TerminalSize } from '../../engine/container-engine.js';
import { DisposableStore } from '../disposable-store.js';
import { OutputPump } from './output-pump.js';

/** What the terminal needs from its host element. */
export interface TerminalHost extends ReactiveControllerHost {
  readonly renderRoot: HTMLElement | DocumentFragment;
  readonly isConnected: boolean;
}

/** Callbacks from the terminal to whoever runs the process. */
export interface TerminalCallbacks {
  /** Where the terminal opens (a box in the host's shadow root). */
  container(): HTMLElement | null;
  /** Keystrokes and pastes, to the process's stdin. */
  onInput(data: string): void;
  /** The terminal's new size, to the process's pty. */
  onResize(size: TerminalSize): void;
}

/** The size a process gets before the terminal has measured its box. */
const DEFAULT_SIZE: TerminalSize = { cols: 80, rows: 24 };

export class TerminalController implements ReactiveController {
  readonly #host: TerminalHost;
  readonly #callbacks: TerminalCallbacks;
  readonly #pump = new OutputPump();
  /** What lives as long as the xterm instance. */
  readonly #terminalStore = new DisposableStore();
  #terminal: Terminal | undefined;
  #fit: FitAddon | undefined;
  #opening: Promise<void> | undefined;
  #escapePressed = 0;

  constructor(host: TerminalHost, callbacks: TerminalCallbacks) {
    this.#host = host;
    this.#callbacks = callbacks;
    host.addController(this);
  }

  /** Whether xterm is loaded and open. */
  get isOpen(): boolean {
    return this.#terminal !== undefined;
  }

  /** Columns and rows of the terminal (80×24 until it is open). */
  get size(): TerminalSize {
    const terminal = this.#terminal;
    return terminal ? { cols: terminal.cols, rows: terminal.rows } : DEFAULT_SIZE;
  }

  /** Loads xterm (once per page) and opens the terminal (once per connection). Safe to call repeatedly. */
  open(): Promise<void> {
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  /** Writes output; it queues until the terminal is open and never floods it. */
  write(data: string): void {
    this.#pump.push(data);
  }

  /** Clears the screen and the scrollback, and forgets queued output. */
  clear(): void {
    this.#pump.clear();
    this.#terminal?.reset();
  }

  /** Moves keyboard focus into the terminal. */
  focus(): void {
    this.#terminal?.focus();
  }

  /** Re-reads the theme's colours from the container's CSS custom properties. */
  applyTheme(): void {
    const terminal = this.#terminal;
    const container = this.#callbacks.container();
    if (terminal && container) terminal.options.theme = readTheme(container);
  }

  hostConnected(): void {
    // Nothing to do: the terminal opens on the first run, not on connection.
  }

  hostDisconnected(): void {
    // A move within the page disconnects and reconnects in one task: keep the terminal then.
    queueMicrotask(() => {
      if (!this.#host.isConnected) this.#dispose();
    });
  }

  async #open(): Promise<void> {
    const [{ Terminal }, { FitAddon }, { xtermStyles }] = await Promise.all([
      import('@xterm/xterm'),
      import('@xterm/addon-fit'),
      import('./xterm-styles.js'),
    ]);
    const container = this.#callbacks.container();
    if (!container || !this.#host.isConnected) throw new Error('The sandbox left the page before its terminal opened.');
    adoptStyles(this.#host.renderRoot, xtermStyles.styleSheet, xtermStyles.cssText);
    const style = getComputedStyle(container);
    const terminal = new Terminal({
      convertEol: true,
      cursorBlink: true,
      fontFamily: style.getPropertyValue('--_font-mono').trim() || 'ui-monospace, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: readTheme(container),
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.attachCustomKeyEventHandler((event) => this.#handleKey(terminal, event));
    this.#terminalStore.add(terminal);
    this.#terminalStore.add(terminal.onData((data) => this.#callbacks.onInput(data)));
    this.#terminalStore.add(terminal.onResize((size) => this.#callbacks.onResize(size)));
    terminal.open(container);
    terminal.textarea?.setAttribute('aria-label', 'Terminal input (press Escape then Tab to leave the terminal)');
    this.#terminal = terminal;
    this.#fit = fit;
    this.#fitNow();
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.#fitNow());
    });
    observer.observe(container);
    this.#terminalStore.add(() => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    });
    this.#pump.attach((data, done) => terminal.write(data, done));
    this.#terminalStore.add(() => this.#pump.detach());
    this.#host.requestUpdate();
  }

  /** Copy with Ctrl+C when text is selected (else it is ^C) or Ctrl+Shift+C; Escape then Tab leaves the terminal. */
  #handleKey(terminal: Terminal, event: KeyboardEvent): boolean {
    if (event.type !== 'keydown') return true;
    const copy = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'c' && (event.shiftKey || terminal.hasSelection());
    if (copy && terminal.hasSelection()) {
      void navigator.clipboard?.writeText(terminal.getSelection()).catch(() => undefined);
      return false;
    }
    if (event.key === 'Tab' && Date.now() - this.#escapePressed < 1500) {
      this.#escapePressed = 0;
      return false; // xterm leaves the key alone, so the browser moves focus
    }
    this.#escapePressed = event.key === 'Escape' ? Date.now() : 0;
    return true;
  }

  #fitNow(): void {
    const container = this.#callbacks.container();
    if (!this.#fit || !container || container.clientWidth === 0 || container.clientHeight === 0) return;
    try {
      this.#fit.fit();
    } catch {
      // The box is not laid out yet; the next resize fits it.
    }
  }

  #dispose(): void {
    this.#terminalStore.dispose();
    this.#terminal = undefined;
    this.#fit = undefined;
    this.#opening = undefined;
  }
}

/** Adds a stylesheet to a shadow root once (adoptedStyleSheets, else a <style>). */
function adoptStyles(root: HTMLElement | DocumentFragment, sheet: CSSStyleSheet | undefined, cssText: string): void {
  if (root instanceof ShadowRoot && sheet) {
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  if (root.querySelector('style[data-xterm]')) return;
  const style = document.createElement('style');
  style.dataset['xterm'] = '';
  style.textContent = cssText;
  root.append(style);
}

/** xterm's colours from the element's theme (CSS custom properties set in its styles). */
function readTheme(container: HTMLElement): ITheme {
  const style = getComputedStyle(container);
  const read = (name: string) => style.getPropertyValue(name).trim() || undefined;
  const theme: ITheme = {};
  const background = read('--_terminal-background');
  const foreground = read('--_terminal-foreground');
  const selection = read('--_terminal-selection');
  if (background) theme.background = background;
  if (foreground) {
    theme.foreground = foreground;
    theme.cursor = foreground;
  }
  if (selection) theme.selectionBackground = selection;
  return theme;
}
