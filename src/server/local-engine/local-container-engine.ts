/**
 * The engine on the Docker Engine API: one hardened container per engine, whose
 * PID 1 is the sandbox agent. Processes, files and connections to the sandbox's
 * ports all go through the agent's one attach stream (no `docker exec`, no
 * published ports, no host bind mounts). Works against Docker and against
 * Podman's Docker-compatible socket (`DOCKER_HOST`).
 */
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import {
  ContainerEngine,
  type DevServer,
  type DevServerOptions,
  type ExecOptions,
  type InstallOptions,
} from '../../engine/container-engine.js';
import { DevServerError, EngineStateError, EngineUnavailableError, InvalidPathError, LimitExceededError } from '../../engine/errors.js';
import { contentBytes, type DirEntry, type FileSystemTree, type TreeEntry } from '../../engine/file-system-tree.js';
import { checkSymlinkTarget, workspaceEntries, workspaceFilePath, workspaceRelative } from '../../engine/paths.js';
import { checkExec, followInstall, killOnAbort } from '../../engine/process-options.js';
import { planDevServer, planInstall } from '../../engine/stack.js';
import { imageFixCommand } from '../stack-images.js';
import { deadline, raceSignal, type WaitOptions } from '../../engine/wait.js';
import { AgentRequestError, sandboxError } from './agent/agent-errors.js';
import type { AgentConnection } from './agent/agent-connection.js';
import type { AgentOp } from './agent/agent-messages.js';
import { spawnAgentProcess, type AgentProcess } from './agent/agent-process.js';
import { connectAgentSocket } from './agent/agent-socket.js';
import { agentVolume } from './agent/agent-volume.js';
import { attachAgent } from './agent/attach-agent.js';
import { MAX_BODY_BYTES } from './agent/frames.js';
import { isUnknownRuntime, unknownRuntime } from './container-runtime.js';
import { containerSpec, DEFAULT_LIMITS, OWNER_LABEL, type SandboxLimits } from './container-spec.js';
import { followDevServer, waitForHttp } from './dev-server.js';
import { forwardPort, type PortForwarder } from './port-forwarder.js';
import { defaultSeccompProfile } from './seccomp.js';
import { packEntries } from './workspace-tar.js';

/** A process in a local sandbox. */
export type LocalProcess = AgentProcess;

/** Options of `new LocalContainerEngine(...)`. */
export interface LocalContainerEngineOptions {
  /** The image sandboxes run, e.g. `code-sandbox/base:trixie` (DEFAULT_IMAGE) or `node:22-slim`. */
  image: string;
  /** A dockerode client; by default one for `DOCKER_HOST`, else the local Docker socket. */
  docker?: Docker;
  /**
   * `bridge` (default: egress for installs) or `none` (no network at all). Dev
   * servers are reached through the agent either way.
   */
  network?: string;
  /** Resolver options of the sandbox's `/etc/resolv.conf`, e.g. `timeout:1` (default: Docker's). */
  dnsOptions?: string[];
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
  /**
   * The OCI runtime Docker runs the sandbox with, by the name it is registered
   * under: `runsc` runs it on gVisor's user-space kernel (`npm run setup -- runsc`
   * installs and registers it; see docs/security.md), `runc` is Docker's usual
   * one. Default: the daemon's default runtime.
   */
  runtime?: string;
  /** The agent binary on this host (default: `CODE_SANDBOX_AGENT`, else where `scripts/setup.sh agent` builds it). */
  agentBinary?: string;
  /** Default boot timeout in ms (default 60 s). */
  bootTimeout?: number;
  /** Default install timeout in ms (default 10 min). */
  installTimeout?: number;
  /** Default wait for a dev server to answer HTTP, in ms (default 60 s). */
  devServerTimeout?: number;
}

/** The port a dev server is told to use (`PORT`) when the caller names none; it may listen anywhere. */
const DEFAULT_DEV_PORT = 3000;
/** The address of Docker's embedded DNS resolver inside a container. */
const DOCKER_DNS = '127.0.0.11';
/** Default deadline of one file operation. */
const FILE_TIMEOUT = 120_000;

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
  #container: Docker.Container | undefined;
  #agent: AgentConnection | undefined;
  #creating: Promise<unknown> | undefined;
  /** Out-of-memory kills in the sandbox so far, to tell which SIGKILL exit was one. */
  #oomKills = 0;
  /** Loopback listeners giving dev servers a `url` on this host, by sandbox port. */
  readonly #forwarders = new Map<number, Promise<PortForwarder>>();
  /** Runs before each request to the agent: a paused sandbox thaws on the first one. */
  #beforeRequest: (() => Promise<void>) | undefined;

  constructor(options: LocalContainerEngineOptions) {
    super();
    if (!options?.image) throw new TypeError('LocalContainerEngine needs an `image`, such as "code-sandbox/base:trixie".');
    if (options.user !== undefined && /^(0|root)(:|$)/.test(options.user)) {
      throw new TypeError('LocalContainerEngine never runs sandboxes as root; set `user` to an unprivileged uid:gid such as "1000:1000".');
    }
    this.#options = options;
    this.#docker = options.docker ?? new Docker();
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
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
    for (const forwarder of this.#forwarders.values()) void forwarder.then((running) => running.close(), () => undefined);
    this.#forwarders.clear();
    await this.#removeContainer();
    this.setStatus('torn-down');
  }

  override async mount(files: FileSystemTree, options?: WaitOptions): Promise<void> {
    this.assertReady('mount files');
    await this.#untar(workspaceEntries(files), options);
  }

  override async writeFile(path: string, content: string | Uint8Array, options?: WaitOptions): Promise<void> {
    this.assertReady('write a file');
    const relative = workspaceFilePath(path);
    const bytes = contentBytes(content);
    this.#checkSize(path, bytes.byteLength);
    const write = () => this.#request({ op: 'write-file', path, fields: { path: relative, maxBytes: this.#limits.fileBytes }, body: bytes, writes: true }, options);
    try {
      await write();
    } catch (error) {
      // A symlink at the path itself is replaced, never written through (as a file written over it in an editor);
      // the delete refuses a symlink on the way, so then the first refusal stands.
      if (!(error instanceof InvalidPathError) || !/symlink/.test(error.message)) throw error;
      if (!(await this.#request({ op: 'delete', path, fields: { path: relative } }, options).then(() => true, () => false))) throw error;
      await write();
    }
  }

  override async readFile(path: string, options?: WaitOptions): Promise<string> {
    return new TextDecoder().decode(await this.readFileBytes(path, options));
  }

  override async readFileBytes(path: string, options?: WaitOptions): Promise<Uint8Array> {
    this.assertReady('read a file');
    const { body } = await this.#request({ op: 'read-file', path, fields: { path: workspaceFilePath(path), maxBytes: this.#limits.fileBytes } }, options);
    return new Uint8Array(body ?? []);
  }

  override async deleteFile(path: string, options?: WaitOptions): Promise<void> {
    this.assertReady('delete a file');
    await this.#request({ op: 'delete', path, fields: { path: workspaceFilePath(path) } }, options);
  }

  override async readdir(path: string, options?: WaitOptions): Promise<DirEntry[]> {
    this.assertReady('list a folder');
    const { result } = await this.#request({ op: 'readdir', path, fields: { path: workspaceRelative(path) } }, options);
    return (result['entries'] as DirEntry[]).map(({ name, kind }) => ({ name, kind }));
  }

  /** A tar archive of workspace paths (folders whole), e.g. to cache `node_modules`; at most 64 MiB. */
  async exportArchive(paths: string[], options?: WaitOptions): Promise<Uint8Array> {
    this.assertReady('archive files');
    const relative = paths.map((path) => workspaceFilePath(path));
    const { body } = await this.#request({ op: 'tar', fields: { paths: relative } }, options);
    return new Uint8Array(body ?? []);
  }

  /** Unpacks a tar archive (such as one `exportArchive` made) into the workspace. */
  async importArchive(archive: Uint8Array, options?: WaitOptions): Promise<void> {
    this.assertReady('unpack files');
    await this.#request({ op: 'untar', fields: { maxFileBytes: this.#limits.fileBytes }, body: archive, writes: true }, options);
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

  /**
   * Runs `thaw` before every request to the sandbox's agent (the orchestrator
   * passes its session's thaw, so a frozen sandbox wakes on the first request).
   */
  beforeEachRequest(thaw: () => Promise<void>): void {
    this.#beforeRequest = thaw;
  }

  /** Whether the container is running (false once it stopped, is gone, or Docker cannot be reached). */
  async isRunning(): Promise<boolean> {
    return this.#container ? this.#container.inspect().then((info) => info.State.Running, () => false) : false;
  }

  /**
   * A TCP connection to `port` inside the sandbox (any address it listens on,
   * 127.0.0.1 included), forwarded by the agent; rejects with an error whose
   * `code` is `ECONNREFUSED` when nothing listens there.
   */
  async connect(port: number): Promise<Duplex> {
    this.assertReady('connect to the sandbox');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`connect() needs a TCP port (1 to 65535), not ${String(port)}.`);
    await this.#beforeRequest?.();
    return connectAgentSocket(this.#agent!, port);
  }

  override async exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<LocalProcess> {
    this.assertReady('run a process');
    const killSignal = checkExec(cmd, args, options);
    const cwd = workspaceRelative(options.cwd ?? '');
    await this.#beforeRequest?.();
    const process = await spawnAgentProcess(this.#agent!, {
      cmd: [cmd, ...args],
      cwd,
      env: options.env ?? {},
      ...(options.terminal && { terminal: options.terminal }),
      explainExit: (code, oomKills, lost) => this.#explainExit(code, oomKills, lost),
    });
    killOnAbort(process, killSignal);
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

  /**
   * Starts the dev server and resolves once a port it opened answers HTTP,
   * whatever port that is and whatever address it binds (127.0.0.1 too);
   * `port` is passed as `PORT` and tried first.
   */
  override async startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
    this.assertReady('start a dev server');
    const hint = options.port ?? DEFAULT_DEV_PORT;
    const signal = deadline(options, this.#options.devServerTimeout ?? 60_000, 'Starting the dev server');
    const command = options.command ?? (await this.#planDevServer(signal));
    if (!command) {
      throw DevServerError.withLogs('Nothing to start: add a "dev" or "start" script to package.json, add a server.js or app.py, or pass `command`.', '');
    }
    const before = new Set(this.openPorts);
    const server = await this.exec('sh', ['-c', command], { env: { PORT: String(hint), ...options.env } });
    const { logs, tail, exitCode } = followDevServer(server);
    try {
      // Ports open before the server started belong to something else, unless it is the one the server was told.
      const candidates = () => [hint, ...this.openPorts.filter((port) => port !== hint)].filter((port) => this.openPorts.includes(port) && (port === hint || !before.has(port)));
      const port = await waitForHttp(candidates, (candidate) => this.connect(candidate), signal, exitCode);
      if (port === undefined) {
        throw DevServerError.withLogs(`The dev server ("${command}") exited with code ${exitCode()} before it answered HTTP.`, tail());
      }
      return { url: await this.#forward(port), logs, port, process: server };
    } catch (error) {
      await server.kill('SIGKILL').catch(() => undefined);
      if (error instanceof DevServerError) throw error;
      const open = this.openPorts.length ? `ports listening: ${this.openPorts.join(', ')}` : 'no port is listening';
      throw DevServerError.withLogs(`The dev server ("${command}") did not answer HTTP on any port (${(error as Error).message}; ${open}).`, tail());
    }
  }

  /** A URL on this host's loopback that reaches `port` in the sandbox (one listener per port). */
  async #forward(port: number): Promise<string> {
    let forwarder = this.#forwarders.get(port);
    if (!forwarder) {
      forwarder = forwardPort(port, (target) => this.connect(target));
      this.#forwarders.set(port, forwarder);
    }
    return (await forwarder).url;
  }

  async #create(): Promise<void> {
    const image = this.#options.image;
    await assertImage(this.#docker, image);
    const volume = await agentVolume(this.#docker, image, this.#options.agentBinary).catch((error: unknown) => {
      throw error instanceof EngineUnavailableError ? error : dockerUnreachable(error);
    });
    const spec = containerSpec({
      image,
      user: this.#options.user ?? '1000:1000',
      network: this.#options.network ?? 'bridge',
      ...(this.#options.dnsOptions && { dnsOptions: this.#options.dnsOptions }),
      agentVolume: volume,
      limits: this.#limits,
      env: this.#options.env ?? {},
      labels: { ...this.#options.labels, [OWNER_LABEL]: this.#options.owner ?? 'local' },
      ...(this.#options.name && { name: this.#options.name }),
      seccompProfile: this.#options.seccompProfile ?? defaultSeccompProfile(),
      runtime: this.#options.runtime,
    });
    this.#container = await this.#docker.createContainer(spec).catch((error: unknown) => {
      // Docker refuses a runtime it does not know with a terse 400: say how to get it.
      throw this.#options.runtime && isUnknownRuntime(error) ? unknownRuntime(this.#options.runtime) : error;
    });
    const { connection, logTail } = await attachAgent(this.#container);
    this.#agent = connection;
    // Docker's embedded DNS listens on 127.0.0.11 inside containers on user-defined networks: not the sandbox's.
    connection.onPort(({ port, state, address }) => address !== DOCKER_DNS && this.reportPort({ port, state }));
    connection.onClose(() => this.#lost());
    await this.#container.start();
    await connection.ready.catch((error: unknown) => {
      throw new EngineUnavailableError(`The sandbox agent did not start in "${image}" (${(error as Error).message}). ${logTail() ? `It said: ${logTail().trim()}` : 'The image must run a static Linux binary of the host\'s architecture.'}`);
    });
  }

  /** The agent's connection ended under a ready engine: the container stopped. */
  #lost(): void {
    if (this.status !== 'ready') return;
    this.setStatus('failed', new EngineUnavailableError('The sandbox stopped unexpectedly (its container was killed or removed). Start a new session to run again.'));
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

  /** One file request to the agent, its errors as the project's (with the caller's `path`). */
  async #request(
    request: { op: AgentOp; fields: Record<string, unknown>; path?: string; body?: Uint8Array; writes?: boolean },
    options: WaitOptions | undefined,
  ): Promise<{ result: Record<string, unknown>; body?: Buffer }> {
    const signal = deadline(options, FILE_TIMEOUT, 'The file operation');
    try {
      await raceSignal(this.#beforeRequest?.() ?? Promise.resolve(), signal);
      return await raceSignal(this.#agent!.request(request.op, request.fields, request.body), signal);
    } catch (error) {
      if (request.writes && error instanceof AgentRequestError && error.code === 'LIMIT_EXCEEDED' && /space|quota|full/i.test(error.message)) {
        throw new LimitExceededError(`The workspace is full (${formatBytes(this.#limits.workspaceBytes)} or ${this.#limits.workspaceInodes} files and folders); delete files, or raise limits.workspaceBytes or limits.workspaceInodes.`);
      }
      if (error instanceof AgentRequestError && error.code === 'LIMIT_EXCEEDED' && request.path !== undefined) this.#checkSize(request.path, Infinity);
      throw sandboxError(error, request.path, `${request.op} ${request.path ?? ''}`.trim());
    }
  }

  #checkSize(path: string, bytes: number): void {
    if (bytes > this.#limits.fileBytes) {
      throw new LimitExceededError(`"${path}" is larger than the ${formatBytes(this.#limits.fileBytes)} file limit; nothing was written or read. Make it smaller or raise limits.fileBytes.`);
    }
  }

  /** Writes entries as untar requests of at most 64 MiB each (one for any ordinary tree). */
  async #untar(entries: TreeEntry[], options?: WaitOptions): Promise<void> {
    for (const entry of entries) {
      if (entry.kind === 'file') this.#checkSize(entry.path, contentBytes(entry.contents).byteLength);
      if (entry.kind === 'symlink') checkSymlinkTarget(entry.path, entry.target);
    }
    const batches: TreeEntry[][] = [[]];
    let size = 0;
    for (const entry of entries) {
      const bytes = (entry.kind === 'file' ? contentBytes(entry.contents).byteLength : 0) + 1024;
      if (size + bytes > MAX_BODY_BYTES - 1024 * 1024 && batches.at(-1)!.length) {
        batches.push([]);
        size = 0;
      }
      batches.at(-1)!.push(entry);
      size += bytes;
    }
    for (const batch of batches) {
      await this.#request({ op: 'untar', fields: { maxFileBytes: this.#limits.fileBytes }, body: await packEntries(batch), writes: true }, options);
    }
  }

  /**
   * Why a process that exited with 137 (SIGKILL) died, when it was not a kill the
   * caller asked for: the kernel's out-of-memory killer (the exit event carries
   * the memory cgroup's kill count), or the container itself stopping under it.
   */
  async #explainExit(code: number, oomKills: number | undefined, lost: boolean): Promise<string | undefined> {
    if (lost) {
      return this.status === 'ready' || this.status === 'failed'
        ? 'The sandbox stopped while the process ran (its container was killed or removed). Start a new session to run again.'
        : undefined;
    }
    // The agent reads cgroup v2's count; on a cgroup v1 host the sandbox's own memory cgroup says it.
    if (oomKills === undefined && code === 137 && this.status === 'ready') oomKills = await this.#cgroupOomKills();
    if (oomKills === undefined || oomKills <= this.#oomKills) return undefined;
    this.#oomKills = oomKills;
    if (code !== 137) return undefined;
    return `Out of memory: the process went past the sandbox's ${formatBytes(this.#limits.memoryBytes)} limit and was killed (exit 137). Use less memory, or raise limits.memoryBytes.`;
  }

  /** `oom_kill` of the sandbox's memory cgroup (v2 memory.events, else v1 memory.oom_control). */
  async #cgroupOomKills(): Promise<number | undefined> {
    const reader = await this.exec('sh', ['-c', 'cat /sys/fs/cgroup/memory.events 2>/dev/null || cat /sys/fs/cgroup/memory/memory.oom_control']);
    let text = '';
    reader.stdout.subscribe((chunk) => (text += chunk));
    await reader.exit;
    const kills = Number(/^oom_kill (\d+)$/m.exec(text)?.[1]);
    return Number.isFinite(kills) ? kills : undefined;
  }

  async #planDevServer(signal: AbortSignal): Promise<string | undefined> {
    const names = (await this.readdir('', { signal })).map((entry) => entry.name);
    const packageJson = names.includes('package.json') ? await this.readFile('package.json', { signal }) : undefined;
    return planDevServer(names, packageJson);
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
