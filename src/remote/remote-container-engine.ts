/**
 * The remote engine: a proxy, over the wire protocol, of a LocalContainerEngine
 * that a code-sandbox orchestrator runs for this session. Works in browsers
 * (any engine, Safari included) and in Node (with the `ws` package where the
 * runtime has no WebSocket).
 */
import {
  ContainerEngine,
  type DevServer,
  type DevServerOptions,
  type ExecOptions,
  type InstallOptions,
  type ProcessHandle,
} from '../engine/container-engine.js';
import { EngineStateError, EngineUnavailableError, LimitExceededError, type SandboxError } from '../engine/errors.js';
import { contentBytes, type DirEntry, type FileSystemTree } from '../engine/file-system-tree.js';
import { workspaceEntries, workspaceFilePath, workspaceRelative } from '../engine/paths.js';
import { checkExec, followInstall, killOnAbort } from '../engine/process-options.js';
import { deadline, raceSignal, type WaitOptions } from '../engine/wait.js';
import { createClient, type CallOptions, type Client, type Op, type Params, type Result } from '../protocol/ops.js';
import { entriesToWire } from '../protocol/wire-tree.js';
import { Connection, type ReconnectOptions, type WebSocketConstructor } from './connection.js';
import { defaultWebSocket } from './default-websocket.js';
import { RemoteProcess } from './remote-process.js';

/** Options of `new RemoteContainerEngine(...)`. */
export interface RemoteContainerEngineOptions {
  /** The orchestrator's base URL, e.g. `https://sandbox.example.com` or `http://127.0.0.1:8787`. */
  url: string;
  /** The stack, so the server can pick its image (`node`, `python`...). */
  template?: string;
  /** An API key, for servers that require one (server-to-server use; never put one in a public page). */
  apiKey?: string;
  /** A WebSocket constructor (default: the runtime's, else in Node 20 the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  /** Reconnection after a dropped connection. */
  reconnect?: ReconnectOptions;
  /** Heartbeat period in ms (default 15 s). */
  heartbeat?: number;
  /** Default boot timeout in ms (default 60 s). */
  bootTimeout?: number;
  /** Default wait for installs, in ms (default 10 min). */
  installTimeout?: number;
}

/** What the orchestrator answered when the session was created. */
interface SessionInfo {
  id: string;
  token: string;
  expiresAt: number;
  websocketUrl: string;
}

/**
 * Runs a sandbox on a code-sandbox orchestrator.
 *
 * ```ts
 * const engine = new RemoteContainerEngine({ url: 'https://sandbox.example.com' });
 * await engine.boot();
 * ```
 */
export class RemoteContainerEngine extends ContainerEngine {
  readonly #options: RemoteContainerEngineOptions;
  readonly #processes = new Map<number, RemoteProcess>();
  /** Events for processes whose exec response has not arrived yet. */
  readonly #early = new Map<number, Parameters<RemoteProcess['receive']>[0][]>();
  #session: SessionInfo | undefined;
  #sessionId: string | undefined;
  #connection: Connection | undefined;
  #lost: SandboxError | undefined;
  /** The protocol's requests, a method per op. */
  readonly #rpc: Client = createClient((op, params, options) => this.#call(op, params, options));

  constructor(options: RemoteContainerEngineOptions) {
    super();
    if (!options?.url) throw new TypeError('RemoteContainerEngine needs the orchestrator\'s `url`, such as "https://sandbox.example.com".');
    this.#options = { ...options, url: options.url.replace(/\/+$/, '') };
  }

  /** The session id on the orchestrator, once booted (kept after teardown, for logs). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  override async boot(options?: WaitOptions): Promise<void> {
    if (this.status !== 'idle') throw new EngineStateError(`boot() was already called (the engine is ${this.status}); create a new engine to boot again.`);
    this.setStatus('booting');
    const signal = deadline(options, this.#options.bootTimeout ?? 60_000, `Starting a sandbox on ${this.#options.url}`);
    try {
      const WebSocketImpl = this.#options.WebSocket ?? (await defaultWebSocket());
      if (!WebSocketImpl) throw new EngineUnavailableError('This runtime has no WebSocket; pass a WebSocket constructor as the `WebSocket` option.');
      const session = await this.#createSession(signal);
      this.#session = session;
      this.#sessionId = session.id;
      this.#connection = new Connection({
        websocketUrl: session.websocketUrl,
        token: session.token,
        expiresAt: session.expiresAt,
        WebSocket: WebSocketImpl,
        ...(this.#options.reconnect && { reconnect: this.#options.reconnect }),
        ...(this.#options.heartbeat && { heartbeat: this.#options.heartbeat }),
        onEvent: (message) => {
          const process = this.#processes.get(message.pid);
          if (process) process.receive(message);
          else this.#early.set(message.pid, [...(this.#early.get(message.pid) ?? []), message]);
        },
        onPort: ({ port, state, url }) => this.reportPort({ port, state, url }),
        resumeState: () => Object.fromEntries([...this.#processes].map(([pid, process]) => [String(pid), process.lastSeq])),
        onFinalClose: (error) => {
          this.#lost = error;
          // A session that ended under a ready engine leaves it unusable: say so, so hosts replace it.
          const unexpected = this.status === 'ready';
          if (unexpected) this.setStatus('failed', error);
          for (const process of this.#processes.values()) process.abandon(unexpected ? error : undefined);
        },
      });
      await raceSignal(this.#connection.ready, signal);
      this.setStatus('ready');
    } catch (error) {
      this.setStatus('failed', error);
      await this.#endSession();
      throw error;
    }
  }

  override async teardown(): Promise<void> {
    if (this.status === 'torn-down' || this.status === 'tearing-down') return;
    this.setStatus('tearing-down');
    await this.#endSession();
    this.setStatus('torn-down');
  }

  override async mount(files: FileSystemTree, options?: WaitOptions): Promise<void> {
    this.assertReady('mount files');
    const wire = entriesToWire(workspaceEntries(files));
    await this.#rpc.mount({ entries: wire.entries }, { ...options, ...(wire.payload && { payload: wire.payload }) });
  }

  override async writeFile(path: string, content: string | Uint8Array, options?: WaitOptions): Promise<void> {
    this.assertReady('write a file');
    await this.#rpc.writeFile({ path: workspaceFilePath(path) }, { ...options, payload: contentBytes(content) });
  }

  override async readFile(path: string, options?: WaitOptions): Promise<string> {
    return new TextDecoder().decode(await this.readFileBytes(path, options));
  }

  override async readFileBytes(path: string, options?: WaitOptions): Promise<Uint8Array> {
    this.assertReady('read a file');
    return this.#rpc.readFile({ path: workspaceFilePath(path) }, options);
  }

  override async deleteFile(path: string, options?: WaitOptions): Promise<void> {
    this.assertReady('delete a file');
    await this.#rpc.deleteFile({ path: workspaceFilePath(path) }, options);
  }

  override async readdir(path: string, options?: WaitOptions): Promise<DirEntry[]> {
    this.assertReady('list a folder');
    return this.#rpc.readdir({ path: workspaceRelative(path) }, options);
  }

  override async exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<ProcessHandle> {
    this.assertReady('run a process');
    const killSignal = checkExec(cmd, args, options);
    const cwd = options.cwd === undefined ? undefined : workspaceRelative(options.cwd);
    const { pid } = await this.#rpc.exec({
      cmd,
      args,
      ...(cwd !== undefined && { cwd }),
      ...(options.env && { env: options.env }),
      ...(options.terminal && { terminal: options.terminal }),
    });
    const process = this.#adopt(pid);
    killOnAbort(process, killSignal);
    return process;
  }

  override async installDependencies(options: InstallOptions = {}): Promise<number> {
    this.assertReady('install dependencies');
    const signal = deadline(options, this.#options.installTimeout ?? 600_000, 'Installing dependencies');
    const install = await this.#rpc.install({ ...(options.command !== undefined && { command: options.command }) }, { signal });
    const started = install.pid === null ? undefined : { command: install.command ?? '', process: this.#adopt(install.pid) };
    return followInstall(started, options, signal);
  }

  override async startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
    this.assertReady('start a dev server');
    const server = await this.#rpc.devServer(
      {
        ...(options.command !== undefined && { command: options.command }),
        ...(options.port !== undefined && { port: options.port }),
        ...(options.env && { env: options.env }),
      },
      { ...(options.signal && { signal: options.signal }), timeout: options.timeout ?? 120_000 },
    );
    const process = this.#adopt(server.pid);
    return { url: server.url, port: server.port, logs: process.stream, process };
  }

  /** Creates the handle for a pid the server reported, delivering events that arrived first. */
  #adopt(pid: number): RemoteProcess {
    const process = new RemoteProcess(pid, {
      rpc: this.#rpc,
      ack: (id, seq) => this.#connection?.send({ t: 'ack', pid: id, seq }),
    });
    this.#processes.set(pid, process);
    for (const message of this.#early.get(pid) ?? []) process.receive(message);
    this.#early.delete(pid);
    void process.exit.then(() => this.#processes.delete(pid));
    if (this.#lost) process.abandon(this.#lost);
    return process;
  }

  async #call<O extends Op>(op: O, params: Params<O>, options?: CallOptions): Promise<Result<O>> {
    if (this.#lost) throw this.#lost;
    const signal = deadline(options, 120_000, `The "${op}" request`);
    return this.#connection!.call(op, params, options?.payload, signal);
  }

  async #createSession(signal: AbortSignal): Promise<SessionInfo> {
    let response: Response;
    try {
      response = await fetch(`${this.#options.url}/sessions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#options.apiKey && { authorization: `Bearer ${this.#options.apiKey}` }),
        },
        body: JSON.stringify(this.#options.template ? { template: this.#options.template } : {}),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new EngineUnavailableError(`Cannot reach the sandbox server at ${this.#options.url} (${(error as Error).message}). Check remote-url, that the server runs, and that it allows this page's origin.`, { cause: error });
    }
    const body = (await response.json().catch(() => ({}))) as Partial<SessionInfo> & { error?: { code?: string; message?: string } };
    if (!response.ok || !body.id || !body.token || !body.websocketUrl) {
      const message = body.error?.message ?? `The sandbox server at ${this.#options.url} answered ${response.status} ${response.statusText}.`;
      if (body.error?.code !== 'CAPACITY' && body.error?.code !== 'RATE_LIMITED') throw new EngineUnavailableError(message);
      throw new LimitExceededError(message, { retryAfter: retryAfterSeconds(response.headers.get('retry-after')) });
    }
    return body as SessionInfo;
  }

  async #endSession(): Promise<void> {
    const session = this.#session;
    const connection = this.#connection;
    this.#session = undefined;
    this.#connection = undefined;
    if (!session) return;
    const token = connection?.token ?? session.token;
    connection?.close();
    for (const process of this.#processes.values()) process.abandon();
    await fetch(`${this.#options.url}/sessions/${session.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  }
}

/** A Retry-After header's delay in whole seconds (it may also be an HTTP date); undefined when absent or unreadable. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : undefined;
}
