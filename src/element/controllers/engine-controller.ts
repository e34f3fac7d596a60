/**
 * A sandbox's engine and its run: selects the engine, boots it (falling back
 * from the browser engine to the remote one when boot fails or times out, and
 * saying so), mounts the files, installs dependencies once, runs the command or
 * dev server, and tears everything down when the host leaves the page. Once
 * booted, a run (or a reader's edit while a dev server runs) writes only the
 * files the sandbox has not seen.
 * Failures become a status, a `cs-error` event and a message; nothing throws
 * out of `run()`. Loaded with the rest of the run-time code on the first run
 * (see ../sandbox-runtime.ts).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ContainerEngine, ExecOptions, ProcessHandle, TerminalSize } from '../../engine/container-engine.js';
import { EngineUnavailableError } from '../../engine/errors.js';
import type { FileSystemTree } from '../../engine/file-system-tree.js';
import type { Subscription } from '../../engine/observable.js';
import type { PortEvent } from '../../engine/ports.js';
import { inferStack, planInstall, type Stack } from '../../engine/stack.js';
import { isSelectionError, selectEngine, type EngineChoice, type EngineEnvironment, type EngineKind } from '../../selection/select-engine.js';
import type { EngineFactory } from '../engine-loader.js';
import { EngineSelectedEvent } from '../events/engine-selected-event.js';
import { ExitEvent } from '../events/exit-event.js';
import { PortChangeEvent } from '../events/port-change-event.js';
import { ServerReadyEvent } from '../events/server-ready-event.js';
import { FileSync } from '../files/file-sync.js';
import { topLevelNames } from '../../example/tree-builder.js';
import { commandArgs } from '../../example/run-command.js';
import type { RunStatus } from '../run-status.js';
import type { SandboxConfig } from '../../example/sandbox-config.js';

/** What a run needs from the element, read when it starts. */
export interface RunRequest {
  files: FileSystemTree;
  config: SandboxConfig;
  /** What Run runs: the author's command, else the stack's default for the files; undefined when nothing says. */
  command: string | undefined;
  environment: EngineEnvironment;
  factory: EngineFactory;
  terminalSize: TerminalSize;
}

/** A run request with its stack: the `template` attribute, else inferred from the files. */
type StackRequest = RunRequest & { stack: Stack | undefined };

/** The element this controller serves. */
export type EngineHost = ReactiveControllerHost & EventTarget & { readonly isConnected: boolean };

/** How long a stopped process gets after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;

const dim = (text: string) => `\x1b[2m${text}\x1b[0m\r\n`;
const notice = (text: string) => `\x1b[33m${text}\x1b[0m\r\n`;

export class EngineController implements ReactiveController {
  /** The engine that runs (or ran) and why; undefined before the first run. */
  selection: EngineChoice | undefined;
  /** The booted engine, for `exec()`; undefined when none is booted. */
  engine: ContainerEngine | undefined;
  /** The server the preview shows: the dev server once it answers (preview layouts), or the first port the command opened. */
  server: { url: string; port: number } | undefined;

  readonly #host: EngineHost;
  readonly #status: RunStatus;
  readonly #output: (data: string) => void;
  #ready: Promise<ContainerEngine> | undefined;
  #readyKey = '';
  #installed = false;
  readonly #sync = new FileSync();
  #writing: Promise<void> = Promise.resolve();
  #process: ProcessHandle | undefined;
  /** The port the preview is for (the `port` attribute) while a run's command runs; `null` for any port. */
  #previewPort: number | null | undefined;
  #run: AbortController | undefined;
  #portWatch: Subscription | undefined;

  /** `status` is the element's (the controller moves it along); `output` receives what the terminal shows. */
  constructor(host: EngineHost, status: RunStatus, output: (data: string) => void) {
    this.#host = host;
    this.#status = status;
    this.#output = output;
    host.addController(this);
  }

  /** Whether a command or dev server is running. */
  get running(): boolean {
    return this.#process !== undefined;
  }

  /** Runs the example: boots the engine if needed, then the command. Stops a previous run first. Never rejects. */
  async run(request: RunRequest): Promise<void> {
    await this.stop();
    const run = new AbortController();
    this.#run = run;
    try {
      await this.#onEngine(request, run.signal, async (engine) => {
        await this.#write(engine, request.files);
        await this.#install(engine, request, run.signal);
        await this.#start(engine, request, run.signal);
      });
    } catch (error) {
      if (!run.signal.aborted) this.#status.fail(error);
    } finally {
      if (this.#run === run) this.#run = undefined;
    }
  }

  /** Boots the engine if needed and starts a process on it (the element's `exec()`). */
  async exec(request: RunRequest, cmd: string, args: string[], options?: ExecOptions): Promise<ProcessHandle> {
    return this.#onEngine(request, undefined, (engine) => engine.exec(cmd, args, options));
  }

  /** Stops the run: cancels a boot or install, kills the process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    if (this.#run) {
      this.#run.abort();
      this.#run = undefined;
      if (!this.engine) {
        // The boot was cancelled: the next run boots afresh rather than awaiting it.
        this.#ready = undefined;
        this.#readyKey = '';
      }
    }
    const process = this.#process;
    if (!process) {
      const { status } = this.#status;
      if (status === 'booting' || status === 'installing' || status === 'running') {
        this.#status.set('idle', 'Stopped. Press Run to start again.');
      }
      return;
    }
    await process.kill('SIGTERM').catch(() => undefined);
    const exited = await process.wait({ timeout: STOP_GRACE_MS }).then(() => true, () => false);
    if (!exited) await process.kill('SIGKILL').catch(() => undefined);
    await process.exit;
  }

  /**
   * Writes the files the sandbox has not seen while a dev server runs, so its
   * own reload or HMR shows them (nothing restarts). Does nothing otherwise:
   * the next run writes them. Never rejects (a failed write is shown).
   */
  async writeThrough(files: FileSystemTree): Promise<void> {
    const engine = this.engine;
    if (!engine || !this.server || engine.status !== 'ready') return;
    await this.#write(engine, files).catch((error: unknown) => this.#output(notice(`Could not write your edit to the sandbox (${firstSentence(error)}); press Run to try again.`)));
  }

  /** Puts the original files back (over what the run changed) when an engine is booted. */
  async reset(files: FileSystemTree): Promise<void> {
    await this.stop();
    const engine = this.engine;
    if (!engine || engine.status !== 'ready') {
      this.#status.set('idle', 'Files reset. Press Run to start.');
      return;
    }
    try {
      await engine.mount(files);
      this.#sync.mounted(files);
      this.#status.set('idle', 'Files reset. Press Run to start.');
    } catch (error) {
      this.#status.fail(error);
    }
  }

  /** Sends keystrokes to the running process. */
  input(data: string): void {
    this.#process?.write(data).catch(() => undefined);
  }

  /** Resizes the running process's terminal. */
  resize(size: TerminalSize): void {
    this.#process?.resize(size).catch(() => undefined);
  }

  hostConnected(): void {
    // Engines boot on Run, not on connection.
  }

  hostDisconnected(): void {
    // A move within the page disconnects and reconnects in one task: keep the engine then.
    queueMicrotask(() => {
      if (!this.#host.isConnected) void this.teardown();
    });
  }

  /** Stops everything and releases the engine; the next run boots a new one. */
  async teardown(): Promise<void> {
    const ready = this.#ready;
    const engine = this.#forget();
    this.server = undefined;
    await this.stop();
    await (engine ?? (await ready?.catch(() => undefined)))?.teardown().catch(() => undefined);
    this.#status.set('idle', 'Stopped: the sandbox left the page. Press Run to start again.');
  }

  /**
   * Calls `use` with the booted engine. A sandbox kept from an earlier run can end
   * on its own (the server's lifetime limit, a connection that could not be
   * restored): then `use` runs again, once, on a new one.
   */
  async #onEngine<T>(request: RunRequest, signal: AbortSignal | undefined, use: (engine: ContainerEngine) => Promise<T>): Promise<T> {
    const booted = this.engine;
    const engine = await this.#engine(request, signal);
    try {
      return await use(engine);
    } catch (error) {
      if (signal?.aborted || engine !== booted || !(error instanceof EngineUnavailableError)) throw error;
      this.#output(notice(`The sandbox had ended (${firstSentence(error)}); starting a new one.`));
      await this.#forget()?.teardown().catch(() => undefined);
      return use(await this.#engine(request, signal));
    }
  }

  /** Forgets the engine (booted or booting) so the next run boots a new one; returns the booted one to tear down. */
  #forget(): ContainerEngine | undefined {
    const engine = this.engine;
    this.#portWatch?.unsubscribe();
    this.#portWatch = undefined;
    this.engine = undefined;
    this.#ready = undefined;
    this.#readyKey = '';
    this.#installed = false;
    this.#sync.mounted({});
    return engine;
  }

  /**
   * The booted engine for this request, shared by concurrent callers; a new one
   * when the choice changed or the booted one is no longer ready (torn down, failed).
   */
  async #engine(request: RunRequest, signal: AbortSignal | undefined): Promise<ContainerEngine> {
    const { config, files, environment } = request;
    const stack = config.template ?? inferStack(topLevelNames(files));
    const selection = selectEngine({ engine: config.engine, stack, remoteConfigured: config.remoteUrl !== undefined }, environment);
    if (isSelectionError(selection)) throw new EngineUnavailableError(selection.error);
    const key = JSON.stringify([selection, config.remoteUrl, stack]);
    const ended = this.engine && this.engine.status !== 'ready' ? this.engine : undefined;
    if (this.#ready && this.#readyKey === key && !ended) return this.#ready;
    if (ended?.status === 'failed') this.#output(notice(`The sandbox had ended (${firstSentence(ended.failure)}); starting a new one.`));
    await this.#forget()?.teardown().catch(() => undefined);
    this.#readyKey = key;
    const ready = this.#select(selection, { ...request, stack }, signal);
    this.#ready = ready;
    ready.catch(() => {
      if (this.#ready === ready) {
        this.#ready = undefined;
        this.#readyKey = '';
      }
    });
    return ready;
  }

  async #select(selection: EngineChoice, request: StackRequest, signal: AbortSignal | undefined): Promise<ContainerEngine> {
    this.#announce(selection);
    try {
      return await this.#boot(selection.engine, request, signal);
    } catch (error) {
      if (signal?.aborted || selection.engine !== 'browser' || selection.fallback !== 'remote') throw error;
      const reason = `Running on a server: the in-browser engine could not start (${firstSentence(error)}).`;
      this.#output(notice(reason));
      this.#announce({ engine: 'remote', reason });
      return this.#boot('remote', request, signal);
    }
  }

  async #boot(kind: EngineKind, request: StackRequest, signal: AbortSignal | undefined): Promise<ContainerEngine> {
    const { config, files, factory, stack } = request;
    this.#status.set('booting', kind === 'browser' ? 'Booting the in-browser engine…' : 'Starting a sandbox on the server…');
    const engine = await factory(kind, { remoteUrl: config.remoteUrl, template: stack, bootTimeout: config.bootTimeout });
    try {
      await engine.boot({ ...(signal ? { signal } : {}), ...(kind === 'browser' ? { timeout: config.bootTimeout } : {}) });
      this.#status.set('booting', 'Copying the files…');
      await engine.mount(files, signal ? { signal } : {});
      this.#sync.mounted(files);
    } catch (error) {
      await engine.teardown().catch(() => undefined);
      throw error;
    }
    this.engine = engine;
    this.#portWatch = engine.ports.subscribe((event) => this.#portChanged(event));
    return engine;
  }

  /**
   * Tells the page about every port, and previews the first one a running command
   * opens (the `port` attribute's, when set), as WebContainer's `server-ready`
   * does: a plain `node server.js` shows its page without a preview layout.
   */
  #portChanged(event: PortEvent): void {
    this.#host.dispatchEvent(new PortChangeEvent(event));
    const wanted = this.#previewPort;
    if (event.state !== 'open' || event.url === undefined || wanted === undefined || this.server) return;
    if (wanted === null || wanted === event.port) this.#serve({ url: event.url, port: event.port });
  }

  /** Shows `server` in the preview and says so. */
  #serve(server: { url: string; port: number }): void {
    this.server = server;
    this.#host.requestUpdate();
    this.#host.dispatchEvent(new ServerReadyEvent(server));
  }

  /**
   * Writes the files of `files` the sandbox has not seen, one write at a time
   * (a keystroke's write waits for the previous one, so the last edit wins). An
   * edited manifest (package.json...) installs again on the next run.
   */
  #write(engine: ContainerEngine, files: FileSystemTree): Promise<void> {
    const next = this.#writing.catch(() => undefined).then(async () => {
      for (const change of this.#sync.changes(files)) {
        await engine.writeFile(change.path, change.contents);
        this.#sync.wrote(change);
        if (!change.path.includes('/') && planInstall([change.path])) this.#installed = false;
      }
    });
    this.#writing = next;
    return next;
  }

  async #install(engine: ContainerEngine, { config, files }: RunRequest, signal: AbortSignal): Promise<void> {
    if (this.#installed || config.install === 'none') return;
    const command = config.install === 'auto' ? planInstall(topLevelNames(files))?.command : config.install;
    if (command === undefined) return;
    this.#status.set('installing', 'Installing dependencies…');
    this.#output(dim(`$ ${command}`));
    const code = await engine.installDependencies({
      signal,
      onOutput: (chunk) => this.#output(chunk),
      ...(config.install === 'auto' ? {} : { command }),
    });
    if (code !== 0) {
      throw new Error(`Installing dependencies failed with exit code ${code} (the terminal shows why). Fix the manifest or the install attribute, then press Run.`);
    }
    this.#installed = true;
  }

  async #start(engine: ContainerEngine, request: RunRequest, signal: AbortSignal): Promise<void> {
    const { config, command } = request;
    if (config.layout === 'terminal') {
      if (command === undefined) {
        throw new Error('Nothing to run: add a command attribute (such as command="node index.js") or an entry file such as index.js.');
      }
      this.#output(dim(`$ ${command}`));
      const [cmd, args] = commandArgs(command);
      this.#previewPort = config.port ?? null; // its port may open before exec() resolves
      const process = await engine.exec(cmd, args, { terminal: request.terminalSize }).catch((error: unknown) => {
        this.#previewPort = undefined;
        throw error;
      });
      this.#attach(process, signal, true);
      this.#status.set('running', `Running ${command}`);
      return;
    }
    this.#status.set('running', 'Starting the dev server…');
    if (command !== undefined) this.#output(dim(`$ ${command}`));
    const server = await engine.startDevServer({
      signal,
      ...(command !== undefined ? { command } : {}),
      ...(config.port !== undefined ? { port: config.port } : {}),
    });
    server.logs.subscribe((chunk) => this.#output(chunk));
    this.#attach(server.process, signal, false);
    this.#status.set('running', `Dev server running on port ${server.port}`);
    this.#serve({ url: server.url, port: server.port });
  }

  /** Makes `process` the running one: its output (unless already shown) goes to the terminal, its exit to the status. */
  #attach(process: ProcessHandle, signal: AbortSignal, showOutput: boolean): void {
    if (signal.aborted) {
      this.#previewPort = undefined;
      this.server = undefined;
      void process.kill('SIGKILL');
      throw signal.reason;
    }
    this.#process = process;
    if (showOutput) process.stream.subscribe((chunk) => this.#output(chunk));
    void process.exit.then((code) => {
      if (this.#process !== process) return;
      this.#process = undefined;
      this.#previewPort = undefined;
      this.server = undefined;
      this.#status.set('exited', `Exited with code ${code}`);
      this.#host.dispatchEvent(new ExitEvent({ code }));
    });
  }

  #announce(selection: EngineChoice): void {
    this.selection = selection;
    this.#host.requestUpdate();
    this.#host.dispatchEvent(new EngineSelectedEvent({ engine: selection.engine, reason: selection.reason }));
  }

}

/** The first sentence of an error's message, for a one-line reason. */
function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (/^[^\n]*?[.!?](?=\s|$)/.exec(message)?.[0] ?? message.split('\n')[0] ?? message).replace(/[.!?]$/, '');
}
