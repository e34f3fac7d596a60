/**
 * The in-browser engine over `@webcontainer/api`: free, private and instant for
 * Node.js examples on a cross-origin isolated page in a Chromium-class browser.
 * Every engine on a page shares the page's one WebContainer and works in its own
 * folder of it, so two sandboxes never see each other's files or processes.
 */
import {
  ContainerEngine,
  type DevServer,
  type DevServerOptions,
  type ExecOptions,
  type InstallOptions,
  type ProcessHandle,
} from '../engine/container-engine.js';
import {
  BootTimeoutError,
  DevServerError,
  EngineStateError,
  EngineUnavailableError,
  FileNotFoundError,
  InvalidPathError,
  ProcessError,
  SandboxError,
  TimeoutError,
} from '../engine/errors.js';
import type { DirEntry, FileSystemTree } from '../engine/file-system-tree.js';
import { keepTail } from '../engine/observable.js';
import { workspaceEntries, workspaceFilePath, workspaceRelative } from '../engine/paths.js';
import { checkExec, followInstall, killOnAbort } from '../engine/process-options.js';
import { planDevServer, planInstall } from '../engine/stack.js';
import { abortReason, deadline, raceSignal, type WaitOptions } from '../engine/wait.js';
import { BrowserProcess } from './browser-process.js';
import { leaseWebContainer, type WebContainerLease } from './shared-webcontainer.js';
import { loadWebContainerApi, type WebContainerApi, type WebContainerBootOptions, type WebContainerInstance } from './webcontainer-api.js';
import { assertWebContainerSupport } from './webcontainer-support.js';

/** Options of `new BrowserContainerEngine(...)`. */
export interface BrowserContainerEngineOptions {
  /**
   * What boots the WebContainer: `@webcontainer/api`'s `WebContainer` class (the
   * default, imported on the first boot) or an object with the same `boot`.
   */
  api?: WebContainerApi;
  /** The page's Cross-Origin-Embedder-Policy (default `require-corp`); `none` relies on Chromium's origin trial. */
  coep?: 'require-corp' | 'credentialless' | 'none';
  /** Forward errors of preview iframes to the page (default `false`). */
  forwardPreviewErrors?: boolean | 'exceptions-only';
  /**
   * Where the WebContainer service lives (sets `globalThis.WEBCONTAINER_API_IFRAME_URL`;
   * default `https://stackblitz.com`). Takes effect for the page's first boot.
   */
  serviceOrigin?: string;
  /** Folder name of the WebContainer's working directory (the first boot on the page decides). */
  workdirName?: string;
  /** Default boot timeout in ms (default 20 s): a service that never answers makes `boot()` hang otherwise. */
  bootTimeout?: number;
  /** Default install timeout in ms (default 10 min). */
  installTimeout?: number;
  /** Default wait for the dev server's `server-ready`, in ms (default 60 s). */
  devServerTimeout?: number;
}

const DEFAULT_SERVICE_ORIGIN = 'https://stackblitz.com';
const FILE_TIMEOUT_MS = 120_000;
let engines = 0;

/**
 * Runs a sandbox in the page's WebContainer.
 *
 * ```ts
 * const engine = new BrowserContainerEngine();
 * await engine.boot(); // EngineUnavailableError on a page that cannot, BootTimeoutError offline
 * await engine.mount({ 'main.js': { file: { contents: 'console.log(6 * 7)' } } });
 * const run = await engine.exec('node', ['main.js']);
 * run.stream.subscribe((text) => terminal.write(text));
 * console.log(await run.exit); // 0
 * await engine.teardown();
 * ```
 */
export class BrowserContainerEngine extends ContainerEngine {
  readonly #options: BrowserContainerEngineOptions;
  readonly #directory = `sandbox-${++engines}-${Math.random().toString(36).slice(2, 8)}`;
  #lease: WebContainerLease | undefined;
  readonly #processes = new Set<BrowserProcess>();
  #stopPortEvents: (() => void) | undefined;

  /** Takes the options; nothing is loaded or booted until `boot()`. */
  constructor(options: BrowserContainerEngineOptions = {}) {
    super();
    this.#options = options;
  }

  /** The engine's folder (its workspace), relative to the WebContainer's workdir. */
  get directory(): string {
    return this.#directory;
  }

  override async boot(options?: WaitOptions): Promise<void> {
    if (this.status !== 'idle') throw new EngineStateError(`boot() was already called (the engine is ${this.status}); create a new engine to boot again.`);
    this.setStatus('booting');
    const timeout = options?.timeout ?? this.#options.bootTimeout ?? 20_000;
    const signal = deadline({ ...options, timeout }, undefined, 'Booting the WebContainer');
    try {
      const coep = this.#options.coep ?? 'require-corp';
      assertWebContainerSupport(coep);
      if (this.#options.serviceOrigin) (globalThis as ServiceScope).WEBCONTAINER_API_IFRAME_URL = this.#options.serviceOrigin;
      const api = this.#options.api ?? (await raceSignal(loadWebContainerApi(), signal));
      const bootOptions: WebContainerBootOptions = { coep };
      if (this.#options.forwardPreviewErrors !== undefined) bootOptions.forwardPreviewErrors = this.#options.forwardPreviewErrors;
      if (this.#options.workdirName !== undefined) bootOptions.workdirName = this.#options.workdirName;
      this.#lease = await leaseWebContainer(api, bootOptions, signal);
      await raceSignal(this.#lease.instance.fs.mkdir(this.#directory, { recursive: true }), signal);
      if (!this.#booting()) throw new EngineStateError('The engine was torn down while it booted; create a new engine.');
      // The WebContainer is the page's: its ports are every engine's on the page. A
      // server-ready implies its port is open (repeats are dropped).
      const { instance } = this.#lease;
      const stops = [
        instance.on('port', (port, type, url) => this.reportPort({ port, state: type === 'open' ? 'open' : 'closed', url })),
        instance.on('server-ready', (port, url) => this.reportPort({ port, state: 'open', url })),
      ];
      this.#stopPortEvents = () => stops.forEach((stop) => stop());
      this.setStatus('ready');
    } catch (error) {
      this.#lease?.release();
      this.#lease = undefined;
      const failure = bootError(error, timeout);
      if (this.#booting()) this.setStatus('failed', failure);
      throw failure;
    }
  }

  override async teardown(): Promise<void> {
    if (this.status === 'torn-down' || this.status === 'tearing-down') return;
    this.setStatus('tearing-down');
    this.#stopPortEvents?.();
    const lease = this.#lease;
    this.#lease = undefined;
    for (const process of this.#processes) await process.kill('SIGKILL');
    this.#processes.clear();
    if (lease) {
      await lease.instance.fs.rm(this.#directory, { recursive: true, force: true }).catch(() => undefined);
      lease.release();
    }
    this.setStatus('torn-down');
  }

  override async mount(files: FileSystemTree, options?: WaitOptions): Promise<void> {
    const instance = this.#ready('mount files');
    workspaceEntries(files); // refuses bad paths before anything is written
    await this.#fs('', 'write', () => instance.mount(files, { mountPoint: this.#directory }), options);
  }

  override async writeFile(path: string, content: string | Uint8Array, options?: WaitOptions): Promise<void> {
    const { fs } = this.#ready('write a file');
    const relative = workspaceFilePath(path);
    const folder = relative.includes('/') ? this.#inside(relative.slice(0, relative.lastIndexOf('/'))) : this.#directory;
    await this.#fs(path, 'write', async () => {
      await fs.mkdir(folder, { recursive: true });
      await fs.writeFile(this.#inside(relative), content);
    }, options);
  }

  override async readFile(path: string, options?: WaitOptions): Promise<string> {
    const { fs } = this.#ready('read a file');
    const inside = this.#inside(workspaceFilePath(path));
    return this.#fs(path, 'read', () => fs.readFile(inside, 'utf-8'), options);
  }

  override async readFileBytes(path: string, options?: WaitOptions): Promise<Uint8Array> {
    const { fs } = this.#ready('read a file');
    const inside = this.#inside(workspaceFilePath(path));
    return this.#fs(path, 'read', () => fs.readFile(inside), options);
  }

  override async deleteFile(path: string, options?: WaitOptions): Promise<void> {
    const { fs } = this.#ready('delete a file');
    const inside = this.#inside(workspaceFilePath(path));
    await this.#fs(path, 'delete', () => fs.rm(inside, { recursive: true }), options);
  }

  override async readdir(path: string, options?: WaitOptions): Promise<DirEntry[]> {
    const { fs } = this.#ready('list a folder');
    const inside = this.#inside(workspaceRelative(path));
    const entries = await this.#fs(path, 'list', () => fs.readdir(inside, { withFileTypes: true }), options);
    return entries
      .map((entry): DirEntry => ({ name: entry.name, kind: entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  override async exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<ProcessHandle> {
    const instance = this.#ready('run a process');
    const killSignal = checkExec(cmd, args, options);
    const cwd = this.#inside(workspaceRelative(options.cwd ?? ''));
    const spawned = await instance.spawn(cmd, args, {
      cwd,
      ...(options.env && { env: options.env }),
      ...(options.terminal && { terminal: { cols: options.terminal.cols, rows: options.terminal.rows } }),
    });
    const process = new BrowserProcess(spawned);
    killOnAbort(process, killSignal);
    this.#processes.add(process);
    void process.exit.then(() => this.#processes.delete(process));
    return process;
  }

  /** Runs npm (or pnpm or yarn, by lockfile) in the engine's folder. WebContainers run Node.js projects only. */
  override async installDependencies(options: InstallOptions = {}): Promise<number> {
    this.#ready('install dependencies');
    const signal = deadline(options, this.#options.installTimeout ?? 600_000, 'Installing dependencies');
    const plan = options.command === undefined ? planInstall(await this.#topLevelNames(signal)) : undefined;
    if (plan && plan.stack !== 'node') {
      throw new EngineUnavailableError(`This is a ${plan.stack} project, and WebContainers run Node.js only. Set remote-url to run it on a server.`);
    }
    const command = options.command ?? plan?.command;
    return followInstall(command === undefined ? undefined : { command, process: await this.#shell(command) }, options, signal);
  }

  /**
   * Starts the dev server and resolves on WebContainer's `server-ready` for the
   * port in `PORT` or any port that opens after the server started: `port` is a
   * hint (`app.listen(3111)` is found). One WebContainer serves every engine on
   * the page, so a port open before the start, or one another engine's server was
   * given or found, is not this server's.
   */
  override async startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
    const instance = this.#ready('start a dev server');
    const lease = this.#lease!;
    const signal = deadline(options, this.#options.devServerTimeout ?? 60_000, 'Starting the dev server');
    const command = options.command ?? (await this.#planDevServer(signal));
    if (command === undefined) {
      throw DevServerError.withLogs('Nothing to start: add a "dev" or "start" script to package.json, add a server.js, or pass `command`.', '');
    }
    const hint = options.port ?? lease.takePort();
    const before = new Set(this.openPorts);
    let stopListening = () => {};
    const ready = new Promise<{ port: number; url: string }>((resolve) => {
      stopListening = instance.on('server-ready', (port, url) => (port === hint || !(before.has(port) || lease.isTaken(port))) && resolve({ port, url }));
    });
    let tail: { readonly text: string } | undefined;
    let server: ProcessHandle | undefined;
    try {
      server = await this.#shell(command, { PORT: String(hint), ...options.env });
      if (options.port === undefined) void server.exit.then(() => lease.returnPort(hint));
      tail = keepTail(server.stream);
      const exited = server.exit.then((code) => ({ code }));
      const outcome = await raceSignal(Promise.race([ready, exited]), signal);
      if ('code' in outcome) {
        throw DevServerError.withLogs(`The dev server ("${command}") exited with code ${outcome.code} before it was ready.`, tail.text);
      }
      if (outcome.port !== hint) {
        lease.claimPort(outcome.port);
        void server.exit.then(() => lease.returnPort(outcome.port));
      }
      return { url: outcome.url, logs: server.stdout, port: outcome.port, process: server };
    } catch (error) {
      await server?.kill('SIGKILL');
      await server?.exit;
      if (error instanceof DevServerError) throw error;
      const reason = signal.aborted ? abortReason(signal) : (error as Error);
      throw DevServerError.withLogs(
        `No server became ready (${reason.message}; it was told port ${hint} in $PORT). Make the server listen on a port, on the one in $PORT or any other.`,
        tail?.text ?? '',
      );
    } finally {
      stopListening();
    }
  }

  /** Whether boot() still owns the status (a teardown during boot takes it over). */
  #booting(): boolean {
    return this.status === 'booting';
  }

  /** The WebContainer, once ready; throws `EngineStateError` otherwise. */
  #ready(what: string): WebContainerInstance {
    this.assertReady(what);
    return this.#lease!.instance;
  }

  /** A workspace-relative path as a path relative to the WebContainer's workdir. */
  #inside(relative: string): string {
    return relative ? `${this.#directory}/${relative}` : this.#directory;
  }

  /** Runs one file system call under a deadline, with WebContainer's Node-style errors turned into the contract's. */
  async #fs<T>(path: string, verb: string, call: () => Promise<T>, options: WaitOptions | undefined): Promise<T> {
    try {
      return await raceSignal(call(), deadline(options, FILE_TIMEOUT_MS, `The file operation on "${path}"`));
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      const message = (error as Error)?.message ?? String(error);
      if (/\bENOENT\b/.test(message)) throw FileNotFoundError.at(path);
      if (/\bE?ISDIR\b/.test(message)) throw InvalidPathError.because(path, `it is a folder; ${verb} a file inside it, or use readdir()`);
      if (/\b(ENOTDIR|EEXIST)\b/.test(message)) throw InvalidPathError.because(path, 'a part of it is a file, not a folder');
      throw new ProcessError(`Could not ${verb} "${path}" in the WebContainer: ${message}`, { cause: error });
    }
  }

  /** Runs a command line with WebContainer's shell, `jsh`. */
  #shell(command: string, env?: Record<string, string>): Promise<ProcessHandle> {
    return this.exec('jsh', ['-c', command], env ? { env } : {});
  }

  async #topLevelNames(signal: AbortSignal): Promise<string[]> {
    return (await this.readdir('', { signal })).map((entry) => entry.name);
  }

  async #planDevServer(signal: AbortSignal): Promise<string | undefined> {
    const names = await this.#topLevelNames(signal);
    const packageJson = names.includes('package.json') ? await this.readFile('package.json', { signal }) : undefined;
    return planDevServer(names, packageJson);
  }
}

/** Where `@webcontainer/api` reads its service origin. */
interface ServiceScope {
  WEBCONTAINER_API_IFRAME_URL?: string;
}

/** The contract's error for a boot that failed: a timeout says why WebContainers hang, anything else is unavailability. */
function bootError(error: unknown, timeout: number): Error {
  if (error instanceof TimeoutError && !(error instanceof BootTimeoutError)) {
    const origin = (globalThis as ServiceScope).WEBCONTAINER_API_IFRAME_URL ?? DEFAULT_SERVICE_ORIGIN;
    return new BootTimeoutError(
      `The WebContainer did not boot within ${timeout} ms: its service (${origin}) never answered. Check that the page can ` +
        'reach it (offline, or blocked by a firewall or an extension?), pass a larger `timeout`, or set remote-url to run the example on a server.',
    );
  }
  if (error instanceof SandboxError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new EngineUnavailableError(
    `The WebContainer failed to boot (${message}). Reload the page to try again, or set remote-url to run the example on a server.`,
    { cause: error },
  );
}
