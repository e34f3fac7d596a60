/**
 * What a sandbox needs once something runs, and not before: the engine and
 * terminal controllers, the files a run mounts and the command it runs. The
 * element loads this module with `import()` on the first Run, `exec()`, reset or
 * `run-on` trigger (once per page), so a page that only shows examples never
 * downloads it. One runtime per element, created once: its controllers stay
 * registered on the host, clean up in `hostDisconnected` and serve it again
 * when it comes back.
 */
import type { ExecOptions, ProcessHandle } from '../engine/container-engine.js';
import type { FileSystemTree } from '../engine/file-system-tree.js';
import { detectEnvironment } from '../selection/detect-environment.js';
import type { EngineEnvironment } from '../selection/select-engine.js';
import { EngineController, type RunRequest } from './controllers/engine-controller.js';
import type { EngineFactory } from './engine-loader.js';
import { OutputEvent } from './events/output-event.js';
import { fetchTree, filesFromChildren } from './files/collect-files.js';
import { mergeTrees, setFile } from '../example/tree-builder.js';
import { defaultCommand, devServerCommand } from '../example/run-command.js';
import type { RunStatus } from './run-status.js';
import type { SandboxConfig } from '../example/sandbox-config.js';
import { TerminalController, type TerminalHost } from './terminal/terminal-controller.js';

/** What the runtime reads from its element when a run starts. */
export interface RuntimeHost extends TerminalHost, Element {
  readonly config: Readonly<SandboxConfig>;
  readonly src: string | undefined;
  readonly files: FileSystemTree | undefined;
  /** The reader's edits (path → text), laid over the files. */
  readonly edits: Readonly<Record<string, string>>;
  readonly environment: EngineEnvironment | undefined;
  readonly engineFactory: EngineFactory;
}

export class SandboxRuntime {
  /** The engine and the run on it. */
  readonly engine: EngineController;
  /** The terminal (xterm, loaded on the first run). */
  readonly terminal: TerminalController;

  readonly #host: RuntimeHost;
  readonly #warn: (problems: string[]) => void;
  #srcTree: { url: string; tree: Promise<FileSystemTree> } | undefined;

  /** `status` is the element's; `warn` reports problems with the files (once each). */
  constructor(host: RuntimeHost, status: RunStatus, warn: (problems: string[]) => void) {
    this.#host = host;
    this.#warn = warn;
    this.engine = new EngineController(host, status, (data) => this.#print(data));
    this.terminal = new TerminalController(host, {
      container: () => host.renderRoot.querySelector<HTMLElement>('.terminal-box'),
      onInput: (data) => this.engine.input(data),
      onResize: (size) => this.engine.resize(size),
    });
  }

  /** Opens the terminal and runs the example (see `EngineController.run`); rejects when the terminal or the files fail. */
  async run(): Promise<void> {
    await this.terminal.open();
    await this.engine.run(await this.#request());
  }

  /** Writes what the reader changed to a running dev server's sandbox (see `EngineController.writeThrough`). */
  async writeThrough(): Promise<void> {
    if (this.engine.server) await this.engine.writeThrough(await this.#collectFiles());
  }

  /** Stops the run and puts the original files back (the element forgets the edits first). */
  async reset(): Promise<void> {
    await this.engine.reset(await this.#collectFiles());
  }

  /** Boots the engine if needed and starts a process on it. */
  async exec(cmd: string, args: string[], options?: ExecOptions): Promise<ProcessHandle> {
    return this.engine.exec(await this.#request(), cmd, args, options);
  }

  async #request(): Promise<RunRequest> {
    const files = await this.#collectFiles();
    const { config } = this.#host;
    return {
      files,
      config,
      command: config.command ?? (config.layout === 'terminal' ? defaultCommand(files) : devServerCommand(files)),
      environment: this.#host.environment ?? detectEnvironment(),
      factory: this.#host.engineFactory,
      terminalSize: this.terminal.size,
    };
  }

  /** The files a run mounts: `src`, then `data-file` children, then the `files` property, then the reader's edits, later ones winning. */
  async #collectFiles(): Promise<FileSystemTree> {
    const { src } = this.#host;
    const children = filesFromChildren(this.#host);
    this.#warn(children.problems);
    let fromSrc: FileSystemTree | undefined;
    if (src) {
      if (this.#srcTree?.url !== src) this.#srcTree = { url: src, tree: fetchTree(src) };
      const pending = this.#srcTree;
      fromSrc = await pending.tree.catch((error: unknown) => {
        if (this.#srcTree === pending) this.#srcTree = undefined; // try again on the next run
        throw error;
      });
    }
    const tree = mergeTrees(fromSrc, children.tree, this.#host.files);
    for (const [path, text] of Object.entries(this.#host.edits)) setFile(tree, path, text);
    return tree;
  }

  #print(data: string): void {
    this.terminal.write(data);
    this.#host.dispatchEvent(new OutputEvent({ data }));
  }
}
