/**
 * The engine on the Docker Engine API: one hardened container per engine, files
 * moved through exec (tar in, cat out), never through host bind mounts. Works
 * against Docker and against Podman's Docker-compatible socket (`DOCKER_HOST`).
 */
import Docker from 'dockerode';
import {
  ContainerEngine,
  type DevServer,
  type DevServerOptions,
  type ExecOptions,
  type InstallOptions,
} from '../../engine/container-engine.js';
import {
  DevServerError,
  EngineStateError,
  EngineUnavailableError,
  FileNotFoundError,
  InvalidPathError,
  LimitExceededError,
  ProcessError,
} from '../../engine/errors.js';
import { contentBytes, type DirEntry, type FileSystemTree, type TreeEntry } from '../../engine/file-system-tree.js';
import { OutputSubject } from '../../engine/observable.js';
import { absoluteInWorkspace, checkSymlinkTarget, WORKSPACE, workspaceEntries, workspaceFilePath, workspaceRelative } from '../../engine/paths.js';
import { checkExec, followInstall, killOnAbort } from '../../engine/process-options.js';
import { planDevServer, planInstall } from '../../engine/stack.js';
import { imageFixCommand } from '../stack-images.js';
import { abortReason, deadline, raceSignal, sleep, throwIfAborted, type WaitOptions } from '../../engine/wait.js';
import { containerSpec, DEFAULT_LIMITS, DEFAULT_PORTS, OWNER_LABEL, type SandboxLimits } from './container-spec.js';
import { startLocalProcess, type LocalProcess } from './local-process.js';
export type { LocalProcess } from './local-process.js';
import { runToEnd, type RunResult } from './run-to-end.js';
import { defaultSeccompProfile } from './seccomp.js';
import { DELETE, EXIT, OOM_EVENTS, PRCTL_SYSCALL, READ_DIR, READ_FILE, shell, TAR_OUT, UNTAR } from './sandbox-scripts.js';
import { foldersWritten, packEntries } from './workspace-tar.js';

/** Options of `new LocalContainerEngine(...)`. */
export interface LocalContainerEngineOptions {
  /** The image sandboxes run, e.g. `code-sandbox/base:trixie` (DEFAULT_IMAGE) or `node:22-slim`. */
  image: string;
  /** A dockerode client; by default one for `DOCKER_HOST`, else the local Docker socket. */
  docker?: Docker;
  /** `bridge` (default: egress for installs, published dev server ports) or `none` (no network at all). */
  network?: string;
  /** Container ports dev servers may use (default 3000, 5173, 8000, 8080). */
  ports?: number[];
  /**
   * How dev servers are reached: `published` (default) publishes `ports` on the
   * host's 127.0.0.1, which works wherever Docker runs; `container` reaches them
   * at the container's own address on its network, which needs this process on
   * the Docker host itself and opens no host port (the orchestrator's choice on
   * its sandbox network; a faster start too).
   */
  reach?: 'published' | 'container';
  /** Resource limits; see `SandboxLimits` for the defaults. */
  limits?: SandboxLimits;
  /** `uid:gid` processes run as (default `1000:1000`; never root). */
  user?: string;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** Extra labels on the container. */
  labels?: Record<string, string>;
  /** Value of the owner label, to find and remove this owner's containers later (default `local`). */
  owner?: string;
  /** The container's name (default: one Docker makes up). */
  name?: string;
  /**
   * Seccomp profile (Docker's JSON format, as text; `readSeccompProfile` reads
   * one). Default: the one `scripts/setup.sh` installs, Docker's own default
   * without ptrace (see `defaultSeccompProfile`), else the daemon's default.
   */
  seccompProfile?: string;
  /** Default boot timeout in ms (default 60 s). */
  bootTimeout?: number;
  /** Default install timeout in ms (default 10 min). */
  installTimeout?: number;
  /** Default wait for a dev server to answer HTTP, in ms (default 60 s). */
  devServerTimeout?: number;
}

/** Where a sandbox's dev server port is reached from the engine's process. */
export interface Endpoint {
  host: string;
  port: number;
}

function endpointUrl({ host, port }: Endpoint): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

const LOG_TAIL_BYTES = 4096;
/** Bytes of folder paths one write may pass to the sandbox's check (exec arguments are bounded). */
const MAX_FOLDER_ARGS = 1024 * 1024;

/**
 * Runs a sandbox in a local Docker (or Podman) container.
 *
 * ```ts
 * const engine = new LocalContainerEngine({ image: 'code-sandbox/base:trixie' });
 * await engine.boot();
 * await engine.mount({ 'main.js': { file: { contents: 'console.log(6 * 7)' } } });
 * const run = await engine.exec('node', ['main.js']);
 * run.stream.subscribe((text) => process.stdout.write(text));
 * console.log(await run.exit); // 0
 * await engine.teardown();
 * ```
 */
export class LocalContainerEngine extends ContainerEngine {
  readonly #options: LocalContainerEngineOptions;
  readonly #docker: Docker;
  readonly #limits: Required<SandboxLimits>;
  readonly #ports: number[];
  #container: Docker.Container | undefined;
  #creating: Promise<unknown> | undefined;
  /** Where each dev server port is reached from here. */
  readonly #endpoints = new Map<number, Endpoint>();
  readonly #processes = new Set<LocalProcess>();
  /** prctl's system call number in the image's architecture, for the exec subreaper. */
  #prctlSyscall: number | undefined;
  /** Out-of-memory kills in the sandbox so far, to tell which SIGKILL exit was one. */
  #oomKills = 0;

  constructor(options: LocalContainerEngineOptions) {
    super();
    if (!options?.image) throw new TypeError('LocalContainerEngine needs an `image`, such as "code-sandbox/base:trixie".');
    if (options.user !== undefined && /^(0|root)(:|$)/.test(options.user)) {
      throw new TypeError('LocalContainerEngine never runs sandboxes as root; set `user` to an unprivileged uid:gid such as "1000:1000".');
    }
    this.#options = options;
    this.#docker = options.docker ?? new Docker();
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#ports = options.ports ?? DEFAULT_PORTS;
  }

  /** The container's id once booted (for operators and tests). */
  get containerId(): string | undefined {
    return this.#container?.id;
  }

  override async boot(options?: WaitOptions): Promise<void> {
    if (this.status !== 'idle') throw new EngineStateError(`boot() was already called (the engine is ${this.status}); create a new engine to boot again.`);
    this.setStatus('booting');
    const signal = deadline(options, this.#options.bootTimeout ?? 60_000, 'Booting the local container');
    const creating = this.#create();
    this.#creating = creating.catch(() => undefined);
    try {
      await raceSignal(creating, signal);
      this.setStatus('ready');
    } catch (error) {
      this.setStatus('failed', error);
      await this.#removeContainer();
      throw error;
    }
  }

  override async teardown(): Promise<void> {
    if (this.status === 'torn-down' || this.status === 'tearing-down') return;
    this.setStatus('tearing-down');
    await this.#removeContainer();
    this.#processes.clear();
    this.setStatus('torn-down');
  }

  override async mount(files: FileSystemTree, options?: WaitOptions): Promise<void> {
    this.assertReady('mount files');
    const entries = workspaceEntries(files);
    await this.#untar(entries, options);
  }

  override async writeFile(path: string, content: string | Uint8Array, options?: WaitOptions): Promise<void> {
    this.assertReady('write a file');
    await this.#untar([{ kind: 'file', path: workspaceFilePath(path), contents: content }], options);
  }

  override async readFile(path: string, options?: WaitOptions): Promise<string> {
    return new TextDecoder().decode(await this.readFileBytes(path, options));
  }

  override async readFileBytes(path: string, options?: WaitOptions): Promise<Uint8Array> {
    this.assertReady('read a file');
    const relative = workspaceFilePath(path);
    const result = await this.#run(shell(READ_FILE, absoluteInWorkspace(relative), String(this.#limits.fileBytes)), options);
    this.#throwFileError(result, path, 'read');
    return new Uint8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength);
  }

  override async deleteFile(path: string, options?: WaitOptions): Promise<void> {
    this.assertReady('delete a file');
    const result = await this.#run(shell(DELETE, absoluteInWorkspace(workspaceFilePath(path))), options);
    this.#throwFileError(result, path, 'delete');
  }

  override async readdir(path: string, options?: WaitOptions): Promise<DirEntry[]> {
    this.assertReady('list a folder');
    const result = await this.#run(shell(READ_DIR, absoluteInWorkspace(workspaceRelative(path))), options);
    this.#throwFileError(result, path, 'list');
    const kinds: Record<string, DirEntry['kind']> = { f: 'file', d: 'directory', l: 'symlink' };
    return result.stdout
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((line) => ({ name: line.slice(2), kind: kinds[line[0]!] ?? 'other' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A tar archive of workspace paths (folders whole), e.g. to cache `node_modules`. */
  async exportArchive(paths: string[], options?: WaitOptions): Promise<Uint8Array> {
    this.assertReady('archive files');
    const relative = paths.map((path) => workspaceFilePath(path));
    const result = await this.#run(shell(TAR_OUT, ...relative), options);
    if (result.code !== 0) throw new ProcessError(`Archiving ${relative.join(', ')} failed (tar exited with ${result.code}): ${result.stderr.trim()}`);
    return new Uint8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength);
  }

  /** Unpacks a tar archive (such as one `exportArchive` made) into the workspace. */
  async importArchive(archive: Uint8Array, options?: WaitOptions): Promise<void> {
    this.assertReady('unpack files');
    this.#checkUntar(await this.#run(shell(UNTAR), options, archive));
  }

  /** Renames the container (a pooled container takes its session's name when claimed). */
  async rename(name: string): Promise<void> {
    this.assertReady('rename the container');
    await this.#container!.rename({ name });
  }

  /**
   * Freezes every process of the sandbox (cgroup freezer): it keeps its memory,
   * files and processes but uses no CPU, until `resume()`. For readers who leave
   * and may come back.
   */
  async pause(): Promise<void> {
    this.assertReady('pause the sandbox');
    const info = await this.#container!.inspect();
    if (!info.State.Paused) await this.#container!.pause();
  }

  /** Thaws a paused sandbox; harmless when it is not paused. */
  async resume(): Promise<void> {
    this.assertReady('resume the sandbox');
    const info = await this.#container!.inspect();
    if (info.State.Paused) await this.#container!.unpause();
  }

  /** Whether the container is running (false once it stopped, is gone, or Docker cannot be reached). */
  async isRunning(): Promise<boolean> {
    return this.#container ? this.#container.inspect().then((info) => info.State.Running, () => false) : false;
  }

  /** Where a dev server on `containerPort` is reached from this process, if that port is served. */
  endpoint(containerPort: number): Endpoint | undefined {
    return this.#endpoints.get(containerPort);
  }

  override async exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<LocalProcess> {
    this.assertReady('run a process');
    const killSignal = checkExec(cmd, args, options);
    const cwd = workspaceRelative(options.cwd ?? '');
    const process = await startLocalProcess(this.#container!, {
      cmd: [cmd, ...args],
      workingDir: absoluteInWorkspace(cwd),
      env: options.env ?? {},
      ...(options.terminal && { terminal: options.terminal }),
      ...(this.#prctlSyscall && { prctlSyscall: this.#prctlSyscall }),
      explainExit: (code) => this.#explainExit(code),
    });
    killOnAbort(process, killSignal);
    this.#processes.add(process);
    void process.exit.then(() => this.#processes.delete(process));
    return process;
  }

  override async installDependencies(options: InstallOptions = {}): Promise<number> {
    this.assertReady('install dependencies');
    const signal = deadline(options, this.#options.installTimeout ?? 600_000, 'Installing dependencies');
    return followInstall(await raceSignal(this.startInstall(options.command), signal), options, signal);
  }

  /**
   * Starts the install command (given, or inferred from the workspace's files)
   * and returns its process; `undefined` when there is nothing to install.
   * For callers that relay the output themselves, such as the orchestrator.
   */
  async startInstall(command?: string): Promise<{ command: string; process: LocalProcess } | undefined> {
    this.assertReady('install dependencies');
    const line = command ?? planInstall((await this.readdir('')).map((entry) => entry.name))?.command;
    return line ? { command: line, process: await this.exec('sh', ['-c', line]) } : undefined;
  }

  override async startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
    this.assertReady('start a dev server');
    const port = options.port ?? this.#ports[0]!;
    if (this.#endpoints.size === 0) {
      throw new DevServerError(`This sandbox has no network for a dev server (network "${this.#options.network ?? 'bridge'}"); create the engine with network "bridge" to run one.`, '');
    }
    if (!this.#endpoints.has(port)) {
      throw new DevServerError(`Port ${port} is not served; use one of ${[...this.#endpoints.keys()].join(', ')} or add it to the engine's \`ports\`.`, '');
    }
    const signal = deadline(options, this.#options.devServerTimeout ?? 60_000, 'Starting the dev server');
    const command = options.command ?? (await this.#planDevServer(signal));
    if (!command) {
      throw new DevServerError('Nothing to start: add a "dev" or "start" script to package.json, add a server.js or app.py, or pass `command`.', '');
    }
    const server = await this.exec('sh', ['-c', command], { env: { PORT: String(port), ...options.env } });
    const logs = new OutputSubject<string>();
    let tail = '';
    // The server's logs reach callers through `logs`; its separate streams are not held for anyone.
    for (const stream of [server.stdout, server.stderr]) stream.subscribe(() => undefined);
    server.stream.subscribe({
      next: (chunk) => {
        tail = (tail + chunk).slice(-LOG_TAIL_BYTES);
        logs.next(chunk);
      },
      complete: () => logs.complete(),
    });
    let exitCode: number | undefined;
    void server.exit.then((code) => (exitCode = code));
    try {
      const answering = await this.#waitForHttp(port, signal, () => exitCode);
      if (answering === undefined) {
        throw new DevServerError(`The dev server ("${command}") exited with code ${exitCode} before it answered HTTP.`, tail);
      }
      return { url: endpointUrl(this.#endpoints.get(answering)!), logs, port: answering, process: server };
    } catch (error) {
      await server.kill('SIGKILL').catch(() => undefined);
      if (error instanceof DevServerError) throw error;
      const reason = signal.aborted ? abortReason(signal) : error;
      throw new DevServerError(`Nothing answered HTTP on port ${port} (${(reason as Error).message}). Make the server listen on 0.0.0.0 and the port in $PORT.`, tail);
    }
  }

  async #create(): Promise<void> {
    const image = this.#options.image;
    this.#prctlSyscall = PRCTL_SYSCALL[(await assertImage(this.#docker, image)).Architecture];
    const network = this.#options.network ?? 'bridge';
    const spec = containerSpec({
      image,
      user: this.#options.user ?? '1000:1000',
      network,
      ports: this.#ports,
      publish: network !== 'none' && this.#reach === 'published',
      limits: this.#limits,
      env: this.#options.env ?? {},
      labels: { ...this.#options.labels, [OWNER_LABEL]: this.#options.owner ?? 'local' },
      ...(this.#options.name && { name: this.#options.name }),
      seccompProfile: this.#options.seccompProfile ?? defaultSeccompProfile(),
    });
    this.#container = await this.#docker.createContainer(spec);
    await this.#container.start();
    const info = await this.#container.inspect();
    if (this.#reach === 'container') {
      const address = info.NetworkSettings.Networks?.[network]?.IPAddress;
      if (address) for (const port of this.#ports) this.#endpoints.set(port, { host: address, port });
      return;
    }
    for (const [key, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
      const hostPort = Number(bindings?.[0]?.HostPort);
      if (hostPort) this.#endpoints.set(Number.parseInt(key, 10), { host: '127.0.0.1', port: hostPort });
    }
  }

  /** How dev servers are reached; see `LocalContainerEngineOptions.reach`. */
  get #reach(): 'published' | 'container' {
    return this.#options.reach ?? 'published';
  }

  async #removeContainer(): Promise<void> {
    await this.#creating; // a create still under way would otherwise leave its container behind
    const container = this.#container;
    if (!container) return;
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw dockerUnreachable(error);
    }
  }

  async #run(cmd: string[], options: WaitOptions | undefined, stdin?: Uint8Array): Promise<RunResult> {
    const signal = deadline(options, 120_000, 'The file operation');
    return raceSignal(runToEnd(this.#container!, cmd, stdin), signal);
  }

  async #untar(entries: TreeEntry[], options?: WaitOptions): Promise<void> {
    for (const entry of entries) {
      if (entry.kind === 'file' && contentBytes(entry.contents).byteLength > this.#limits.fileBytes) {
        throw new LimitExceededError(`"${entry.path}" is larger than the ${formatBytes(this.#limits.fileBytes)} file limit; nothing was written. Make it smaller or raise limits.fileBytes.`);
      }
      if (entry.kind === 'symlink') checkSymlinkTarget(entry.path, entry.target);
    }
    const folders = foldersWritten(entries);
    if (folders.reduce((sum, folder) => sum + folder.length + 1, 0) > MAX_FOLDER_ARGS) {
      throw new LimitExceededError(`These files span ${folders.length} folders, more than one write can check; nothing was written. Mount the tree in smaller parts.`);
    }
    const result = await this.#run(shell(UNTAR, ...folders), options, await packEntries(entries));
    if (result.code === EXIT.outside) throw new InvalidPathError(result.stderr.slice(WORKSPACE.length + 1), 'a symlink on the way leads outside the workspace; nothing was written');
    this.#checkUntar(result);
  }

  #checkUntar(result: RunResult): void {
    if (result.code === 0) return;
    if (/No space left|Disk quota/i.test(result.stderr)) {
      throw new LimitExceededError(`The workspace is full (${formatBytes(this.#limits.workspaceBytes)} or ${this.#limits.workspaceInodes} files and folders); delete files, or raise limits.workspaceBytes or limits.workspaceInodes.`);
    }
    throw new ProcessError(`Writing files into the sandbox failed (tar exited with ${result.code}): ${result.stderr.trim()}`);
  }

  #throwFileError(result: RunResult, path: string, verb: string): void {
    switch (result.code) {
      case 0:
        return;
      case EXIT.notFound:
        throw new FileNotFoundError(path);
      case EXIT.isDirectory:
        throw new InvalidPathError(path, `it is a folder; ${verb} a file inside it, or use readdir()`);
      case EXIT.notDirectory:
        throw new InvalidPathError(path, 'it is a file, not a folder');
      case EXIT.outside:
        throw new InvalidPathError(path, 'it leads outside the workspace through a symlink (or a symlink loop)');
      case EXIT.notFile:
        throw new InvalidPathError(path, 'it is not a regular file (a device, pipe or socket)');
      case EXIT.tooLarge:
        throw new LimitExceededError(`"${path}" is larger than the ${formatBytes(this.#limits.fileBytes)} file limit. Raise limits.fileBytes to ${verb} it.`);
      default:
        throw new ProcessError(`Could not ${verb} "${path}" (exit ${result.code}): ${result.stderr.trim()}`);
    }
  }

  /**
   * Why a process that exited with 137 (SIGKILL) died, when it was not a kill the
   * caller asked for: the kernel's out-of-memory killer (the sandbox's memory
   * cgroup counts its kills), or the container itself stopping under it.
   */
  async #explainExit(code: number): Promise<string | undefined> {
    if (code !== 137 || this.status !== 'ready') return undefined;
    const events = await runToEnd(this.#container!, shell(OOM_EVENTS)).catch(() => undefined);
    const kills = Number(/^oom_kill (\d+)$/m.exec(events?.stdout.toString('utf8') ?? '')?.[1]);
    if (Number.isFinite(kills) && kills > this.#oomKills) {
      this.#oomKills = kills;
      return `Out of memory: the process went past the sandbox's ${formatBytes(this.#limits.memoryBytes)} limit and was killed (exit 137). Use less memory, or raise limits.memoryBytes.`;
    }
    // The check ran, so the sandbox lives: something inside it killed the process.
    if (events?.code === 0) return undefined;
    return (await this.#stopsSoon())
      ? 'The sandbox stopped while the process ran (its container was killed or removed). Start a new session to run again.'
      : undefined;
  }

  /**
   * Whether the container is stopped, or stops within a moment: when its init is
   * killed, the exec ends before Docker reports the container as exited.
   */
  async #stopsSoon(): Promise<boolean> {
    for (let waited = 0; waited <= 2000; waited += 100) {
      if (!(await this.isRunning())) return true;
      await sleep(100);
    }
    return false;
  }

  async #planDevServer(signal: AbortSignal): Promise<string | undefined> {
    const names = (await this.readdir('', { signal })).map((entry) => entry.name);
    const packageJson = names.includes('package.json') ? await this.readFile('package.json', { signal }) : undefined;
    return planDevServer(names, packageJson);
  }

  /** Polls the published ports (the wanted one first) until one answers HTTP; undefined if the server exits first. */
  async #waitForHttp(wanted: number, signal: AbortSignal, exitCode: () => number | undefined): Promise<number | undefined> {
    const ports = [wanted, ...[...this.#endpoints.keys()].filter((port) => port !== wanted)];
    for (;;) {
      throwIfAborted(signal);
      if (exitCode() !== undefined) return undefined;
      for (const port of ports) {
        const ok = await fetch(endpointUrl(this.#endpoints.get(port)!), { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) })
          .then(async (response) => (await response.arrayBuffer(), true))
          .catch(() => false);
        if (ok) return port;
      }
      await sleep(150, signal);
    }
  }
}

/**
 * Throws EngineUnavailableError unless `image` is on the daemon, saying how to
 * get it (the base image is built offline by the package's setup script).
 */
export async function assertImage(docker: Docker, image: string): Promise<Docker.ImageInspectInfo> {
  try {
    return await docker.getImage(image).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw dockerUnreachable(error);
    throw new EngineUnavailableError(`The image "${image}" is not on this Docker daemon. Get it with \`${imageFixCommand(image)}\`.`);
  }
}

function dockerUnreachable(error: unknown): EngineUnavailableError {
  const where = process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
  return new EngineUnavailableError(
    `Cannot reach the Docker daemon at ${where} (${(error as Error).message}). Start Docker (\`npm run setup\` does it on Debian), ` +
      'or set DOCKER_HOST to a running daemon, such as Podman\'s socket.',
    { cause: error },
  );
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
