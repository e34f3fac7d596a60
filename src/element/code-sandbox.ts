import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import type { ContainerEngine, ExecOptions, ProcessHandle } from '../engine/container-engine.js';
import type { FileSystemTree } from '../engine/file-system-tree.js';
import type { Stack } from '../engine/stack.js';
import type { EngineChoice, EngineEnvironment } from '../selection/select-engine.js';
import { codeSandboxStyles } from './code-sandbox.styles.js';
import { ColorSchemeController } from './controllers/color-scheme-controller.js';
import type { EditorSession } from './editor/editor-session.js';
import { PreviewController, previewSandbox } from './controllers/preview-controller.js';
import { RunTriggerController } from './controllers/run-trigger-controller.js';
import { loadEngine, type EngineFactory } from './engine-loader.js';
import { RunStatus } from './run-status.js';
import type { SandboxRuntime } from './sandbox-runtime.js';
import {
  readPageDefaults,
  resolveConfig,
  unknownAttributeProblems,
  type Layout,
  type Persist,
  type RawConfig,
  type RequestedEngine,
  type RunOn,
  type SandboxConfig,
  type Theme,
} from '../example/sandbox-config.js';
import type { SandboxStatus } from './sandbox-status.js';

/** The files a reader sees, and may edit: `<pre data-file>`, and file children marked `data-visible`. */
const CODE = 'pre[data-file],[data-visible]';

/**
 * A runnable code example: the code, a Run button, a terminal and a preview of
 * its dev server. It runs in the reader's browser (WebContainers, Node.js) or on
 * a server (any stack, any browser), says which and why, and falls back to the
 * server when the browser engine cannot start. The reader can edit the files
 * (CodeMirror, loaded when they first focus or click the code, or on Run); the
 * edits are kept per page and example, and reach a running dev server as they
 * type. Register it with `import 'code-sandbox/define'`.
 *
 * @tagname code-sandbox
 * @summary Makes a code example runnable, in the browser or on a server.
 *
 * @fires cs-engine-selected - An engine was chosen (again on fallback); `detail: {engine, reason}`.
 * @fires cs-status - The status changed; `detail: {status, message}`.
 * @fires cs-output - The install step or the command printed; `detail: {data}`.
 * @fires cs-exit - The command or dev server exited; `detail: {code}`.
 * @fires cs-server-ready - A server is shown in the preview: the dev server answers (preview layouts), or the command opened a port (the first one, or the `port` attribute's); `detail: {url, port}`.
 * @fires cs-port - A TCP port began or stopped listening in the sandbox, on any address, whatever opened it; `detail: {port, state: 'open' | 'closed', url}`, `url` being where a browser previews it.
 * @fires cs-error - The run cannot go on; `detail: {message, error}`. The message is also shown.
 *
 * @slot - The example's files: children with `data-file="path"` (`<pre>`, `<script type="text/plain">`, `<template>`). `<pre>` ones (and others marked `data-visible`) are shown and editable, one tab each. A child with `data-output` (`<pre>` or `<samp>`) is the output the author expects: shown until the first run.
 *
 * @csspart base - The element's frame.
 * @csspart code - The box around the slotted code and the editor.
 * @csspart editor-bar - The editor's file tabs (or file name) and its "edited" mark.
 * @csspart tab - A file's tab.
 * @csspart edited - The "edited" mark, shown while the reader's edits differ from the author's files.
 * @csspart stale-notice - Shown when stored edits were made to an older version of the example.
 * @csspart toolbar - The row with the controls and the status.
 * @csspart controls - The group of buttons.
 * @csspart button - Every button.
 * @csspart run-button - Run.
 * @csspart stop-button - Stop.
 * @csspart restart-button - Restart.
 * @csspart reset-button - Reset: puts the author's files back (editor and sandbox) and forgets the stored edits.
 * @csspart status - The status text (an aria-live region).
 * @csspart engine - The line saying which engine runs and why.
 * @csspart warnings - The list of configuration problems.
 * @csspart panes - The terminal and preview area (its height is the `height` attribute).
 * @csspart terminal - The terminal pane.
 * @csspart preview - The preview pane.
 * @csspart address-bar - The preview's address bar.
 * @csspart address - The preview's address field.
 * @csspart reload-button - Reloads the preview.
 * @csspart open-button - Opens the preview in a new tab.
 * @csspart frame - The preview's iframe.
 *
 * @cssprop --code-sandbox-background - Background colour.
 * @cssprop --code-sandbox-foreground - Text colour.
 * @cssprop --code-sandbox-muted - Secondary text colour (status, engine line).
 * @cssprop --code-sandbox-border-color - Border colour.
 * @cssprop --code-sandbox-border-radius - Corner radius.
 * @cssprop --code-sandbox-accent - Run button and focus ring colour.
 * @cssprop --code-sandbox-accent-text - Text colour on the accent.
 * @cssprop --code-sandbox-error - Colour of errors and warnings.
 * @cssprop --code-sandbox-font-family - Interface font.
 * @cssprop --code-sandbox-font-family-mono - Code and terminal font.
 * @cssprop --code-sandbox-terminal-background - Terminal background.
 * @cssprop --code-sandbox-terminal-foreground - Terminal text and cursor colour.
 * @cssprop --code-sandbox-terminal-selection - Terminal selection colour.
 */
export class CodeSandboxElement extends LitElement {
  static override styles = codeSandboxStyles;

  /** Which engine runs the example: `auto` (default) chooses, `browser` or `remote` insists. */
  @property() accessor engine: RequestedEngine | undefined = undefined;

  /** The stack (`node`, `python`, `go`, `rust`, `ruby`, `php`, `shell`); inferred from the files when unset. */
  @property() accessor template: Stack | undefined = undefined;

  /** The code-sandbox server's base URL, for the remote engine; a page-wide default can set it. */
  @property({ attribute: 'remote-url' }) accessor remoteUrl: string | undefined = undefined;

  /** What Run runs; by default the stack's usual command for the files (e.g. `npm start`, `node index.js`). */
  @property() accessor command: string | undefined = undefined;

  /** `auto` (default: install when there is a manifest), `none`, or the install command line. */
  @property() accessor install: string | undefined = undefined;

  /** When the example runs: `click` (default, on Run), `visible` (scrolled into view) or `load`. */
  @property({ attribute: 'run-on' }) accessor runOn: RunOn | undefined = undefined;

  /** What shows: `terminal` (default), `preview` (a dev server's page) or `split` (both). */
  @property() accessor layout: Layout | undefined = undefined;

  /** Height of the terminal and preview, as a CSS length (default `20rem`; a bare number means pixels). */
  @property() accessor height: string | undefined = undefined;

  /** Colours: `light`, `dark`, or `auto` (default, follows the reader's system). */
  @property() accessor theme: Theme | undefined = undefined;

  /** The server's port inside the sandbox, passed as `PORT`: a hint, since a server on any port is found; it also picks which port the preview shows. */
  @property() accessor port: string | undefined = undefined;

  /** Milliseconds the in-browser engine gets to boot before falling back to the server (default 20000). */
  @property({ attribute: 'boot-timeout' }) accessor bootTimeout: string | undefined = undefined;

  /** The sandbox's accessible name (default "Runnable example"). */
  @property() accessor label: string | undefined = undefined;

  /** The reader may not edit the code (it still gets tabs and highlighting). Read when the editor opens. */
  @property({ type: Boolean }) accessor readonly = false;

  /** Where the reader's edits are kept: `local` (default: localStorage, per page URL and example `id` or position) or `none`. */
  @property() accessor persist: Persist | undefined = undefined;

  /** URL of a JSON file tree (`{"index.js": {"file": {"contents": "..."}}}`) to add to the files. */
  @property() accessor src: string | undefined = undefined;

  /** Files as a tree; they win over `data-file` children, which win over `src`. */
  @property({ attribute: false }) accessor files: FileSystemTree | undefined = undefined;

  /** Overrides the detected browser capabilities (for tests, or hosts that know better). */
  @property({ attribute: false }) accessor environment: EngineEnvironment | undefined = undefined;

  /** Creates engines; replace it to supply your own (a custom server client, a test double). */
  engineFactory: EngineFactory = loadEngine;

  readonly #status = new RunStatus(this);
  /** The engine and terminal controllers and the files of a run: loaded on the first run (see sandbox-runtime.ts). */
  #runtime: SandboxRuntime | undefined;
  #loading: Promise<SandboxRuntime> | undefined;
  /** The editor (see editor/editor-session.ts): loaded when the reader first focuses or clicks the code, or on Run. */
  #editor: EditorSession | undefined;
  #editorLoading: Promise<void> | undefined;
  readonly #preview = new PreviewController(this);
  readonly #scheme = new ColorSchemeController(this);
  #config: SandboxConfig = resolveConfig({}).config;
  #pageDefaults: RawConfig = {};
  #problems: string[] = [];
  #attributeProblems: string[] = [];
  readonly #warned = new Set<string>();
  #appliedScheme: 'light' | 'dark' | undefined;

  constructor() {
    super();
    new RunTriggerController(this, () => this.#config.runOn, () => {
      if (this.#status.status === 'idle') void this.run();
    });
  }

  /** Where the sandbox is: `idle`, `booting`, `installing`, `running`, `exited` or `error`. */
  get status(): SandboxStatus {
    return this.#status.status;
  }

  /** The status as the reader sees it, e.g. "Exited with code 0". */
  get statusMessage(): string {
    return this.#status.message;
  }

  /** The engine that runs (or ran) and why; undefined before the first run. */
  get selection(): EngineChoice | undefined {
    return this.#runtime?.engine.selection;
  }

  /** The booted engine, for advanced use; undefined until a run has booted one. */
  get container(): ContainerEngine | undefined {
    return this.#runtime?.engine.engine;
  }

  /** The reader's edits: each changed file's path and text (empty until they edit). Runs use them over the author's files. */
  get edits(): Readonly<Record<string, string>> {
    return this.#editor?.edits ?? {};
  }

  /** The configuration in effect: attributes, page-wide defaults, built-in defaults. */
  get config(): Readonly<SandboxConfig> {
    return this.#config;
  }

  /** Runs the example (stopping a previous run). Resolves once it runs or has failed; never rejects. */
  async run(): Promise<void> {
    try {
      await this.updateComplete;
      await this.#openEditor();
      await (await this.#load()).run();
    } catch (error) {
      this.#status.fail(error);
    }
  }

  /** Stops the running command or dev server (SIGTERM, then SIGKILL), or a boot in progress. */
  async stop(): Promise<void> {
    await this.#runtime?.engine.stop();
  }

  /** Stops and runs again, on the same engine. */
  async restart(): Promise<void> {
    await this.run();
  }

  /** Stops the run, puts the author's files back in the editor and the sandbox, and forgets the stored edits. */
  async reset(): Promise<void> {
    try {
      await this.#editorLoading;
      this.#editor?.reset();
      await (await this.#load()).reset();
    } catch (error) {
      this.#status.fail(error);
    }
  }

  /** Runs another process in the sandbox (booting it if needed); rejects when that fails. */
  async exec(cmd: string, args: string[] = [], options?: ExecOptions): Promise<ProcessHandle> {
    return (await this.#load()).exec(cmd, args, options);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#pageDefaults = readPageDefaults(this.ownerDocument);
    this.#attributeProblems = unknownAttributeProblems(this.getAttributeNames());
    this.#warn(this.#attributeProblems);
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    const { config, problems } = resolveConfig(
      {
        engine: this.engine, template: this.template, 'remote-url': this.remoteUrl, command: this.command,
        install: this.install, 'run-on': this.runOn, layout: this.layout, height: this.height, theme: this.theme,
        port: this.port, 'boot-timeout': this.bootTimeout, label: this.label,
        readonly: this.readonly ? '' : undefined, persist: this.persist,
      },
      this.#pageDefaults,
    );
    this.#config = config;
    this.#problems = [...this.#attributeProblems, ...problems];
    this.#warn(problems);
    this.#preview.show(this.#runtime?.engine.server?.url);
  }

  protected override firstUpdated(): void {
    // Stored edits show at once, in the editor, instead of the author's code.
    try {
      const key = this.#storageKey();
      if (key && localStorage.getItem(key)) void this.#openEditor();
    } catch {
      // No storage (persist="none", private mode, a sandboxed frame): nothing stored.
    }
  }

  protected override updated(): void {
    const scheme = this.#colorScheme();
    if (scheme !== this.#appliedScheme) {
      this.#appliedScheme = scheme;
      this.#runtime?.terminal.applyTheme();
    }
  }

  protected override render(): TemplateResult {
    const config = this.#config;
    const { status, message } = this.#status;
    const engine = this.#runtime?.engine;
    const busy = status === 'booting' || status === 'installing';
    const scheme = this.#colorScheme();
    // A server the command opened shows beside the terminal, whatever the layout.
    const preview = config.layout === 'terminal' && this.#preview.url !== undefined;
    return html`
      <div part="base" class="base ${scheme}${this.#editor ? ' editing' : ''}${this.#runtime?.terminal.isOpen ? ' ran' : ''}" role="group" aria-label=${config.label}>
        <div part="code" class="code" tabindex=${this.#editor || !this.querySelector(CODE) ? nothing : 0} @focusin=${() => this.#editor || this.#openEditor().then(() => this.#editor?.focus())}>${this.#editor?.element}<slot></slot></div>
        <div part="toolbar" class="toolbar">
          <div part="controls" class="controls" role="group" aria-label="Sandbox controls">
            <button part="button run-button" class="run" type="button" ?disabled=${busy} @click=${() => this.run()}>Run</button>
            <button part="button stop-button" type="button" ?disabled=${!busy && !engine?.running} @click=${() => this.stop()}>Stop</button>
            <button part="button restart-button" type="button" ?disabled=${!engine?.running} @click=${() => this.restart()}>Restart</button>
            <button part="button reset-button" type="button" ?disabled=${busy} @click=${() => this.reset()}>Reset files</button>
          </div>
          <span part="status" class="status${status === 'error' ? ' error' : ''}" role="status" aria-live="polite">${message}</span>
        </div>
        ${engine?.selection ? html`<p part="engine" class="engine">${engine.selection.reason}</p>` : nothing}
        ${this.#problems.length
          ? html`<ul part="warnings" class="warnings" aria-label="Configuration problems">${this.#problems.map((problem) => html`<li>${problem}</li>`)}</ul>`
          : nothing}
        <div part="panes" class="panes${config.layout === 'split' || preview ? ' split' : ''}" style="height: ${config.height}">
          <div part="terminal" class="terminal" ?hidden=${config.layout === 'preview'}>
            ${this.#runtime?.terminal.isOpen ? nothing : html`<p class="placeholder">Press Run to see the output here.</p>`}
            <div class="terminal-box"></div>
          </div>
          ${config.layout === 'terminal' && !preview ? nothing : this.#renderPreview()}
        </div>
      </div>
    `;
  }

  #renderPreview(): TemplateResult {
    const url = this.#preview.url;
    return html`
      <div part="preview" class="preview">
        <form part="address-bar" class="address-bar" @submit=${this.#navigate}>
          <button part="button reload-button" type="button" aria-label="Reload the preview" ?disabled=${!url} @click=${() => this.#preview.reload()}>⟳</button>
          <input part="address" name="address" aria-label="Preview address" .value=${url ?? ''} ?disabled=${!url} />
          ${url ? html`<a part="open-button" class="open" href=${url} target="_blank" rel="noopener noreferrer">Open in new tab</a>` : nothing}
        </form>
        ${url
          ? keyed(this.#preview.frameKey, html`<iframe part="frame" title="Preview of the example's server" src=${url}
              sandbox=${previewSandbox(url, location.origin)} referrerpolicy="no-referrer"></iframe>`)
          : html`<p class="placeholder">The preview appears when the server is ready.</p>`}
      </div>
    `;
  }

  readonly #navigate = (event: SubmitEvent): void => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('address') as HTMLInputElement;
    const refused = this.#preview.navigate(input.value);
    if (refused) this.#warn([refused]);
  };


  /**
   * Loads the editor (once, when there is code to edit) and shows it in place of
   * the code; a failure leaves the code as it was. The code box takes the focus
   * (Tab, a click or a tap) and opens it, as Run does.
   */
  async #openEditor(): Promise<void> {
    if (!this.querySelector(CODE)) return;
    this.#editorLoading ??= import('./editor/editor-session.js')
      .then(async ({ EditorSession }) => {
        this.#editor = await EditorSession.open({
          host: this,
          readonly: this.#config.readonly,
          storageKey: this.#storageKey(),
          onEdit: () => void this.#runtime?.writeThrough(),
        });
        this.requestUpdate();
        await this.updateComplete;
      })
      .catch((error: unknown) => this.#warn([`The editor could not load (${String(error)}); the code runs as written.`]));
    await this.#editorLoading;
  }

  /** Where this example's edits are kept: the page's URL without its hash, and the example's id or position. */
  #storageKey(): string | undefined {
    if (this.#config.persist === 'none') return undefined;
    const position = [...document.querySelectorAll(this.localName)].indexOf(this);
    return `code-sandbox:edits:${location.href.split('#')[0]}#${this.id || position}`;
  }

  #colorScheme(): 'light' | 'dark' {
    return this.#config.theme === 'auto' ? this.#scheme.preferred : this.#config.theme;
  }

  /** Loads the run-time code (once per page) and creates this element's runtime (once). */
  #load(): Promise<SandboxRuntime> {
    this.#loading ??= import('./sandbox-runtime.js').then(
      ({ SandboxRuntime }) => (this.#runtime = new SandboxRuntime(this, this.#status, (problems) => this.#warn(problems))),
      (error: unknown) => {
        this.#loading = undefined; // try again on the next run
        throw new Error(`Could not load the sandbox's code (${error instanceof Error ? error.message : String(error)}). Check the connection, then press Run again.`, { cause: error });
      },
    );
    return this.#loading;
  }

  /** Warns once per problem in the console; problems with the configuration are also listed in the element. */
  #warn(problems: string[]): void {
    for (const problem of problems) {
      if (this.#warned.has(problem)) continue;
      this.#warned.add(problem);
      console.warn(`<${this.localName}>: ${problem}`, this);
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'code-sandbox': CodeSandboxElement;
  }
}
