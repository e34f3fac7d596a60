/**
 * One sandbox session: its LocalContainerEngine, its processes' output relays,
 * and the one WebSocket currently attached. Requests from the wire are served
 * here; a dropped connection leaves processes running, and the next connection
 * resumes where the client left off.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { ProtocolError, SandboxError } from '../../engine/errors.js';
import { treeFromEntries } from '../../engine/file-system-tree.js';
import { LimitExceededError } from '../../engine/errors.js';
import { decodeFrame, encodeFrame } from '../../protocol/codec.js';
import { parseClientMessage, type ClientMessage, type ServerMessage } from '../../protocol/envelope.js';
import { CLOSE, PROTOCOL_VERSION } from '../../protocol/messages.js';
import { encodeResult, parseRequest, serve, type Handlers, type Request } from '../../protocol/ops.js';
import { toWireError } from '../../protocol/wire-errors.js';
import { entriesFromWire } from '../../protocol/wire-tree.js';
import type { LocalContainerEngine, LocalProcess } from '../local-engine/local-container-engine.js';
import type { DependencyCache } from './dependency-cache.js';
import { FlowGate, OutputRelay } from './output-relay.js';
import type { TokenSigner } from './tokens.js';

/** What a session needs from its orchestrator. */
export interface SessionContext {
  /** The session's image (the dependency cache keys on it). */
  image: string;
  cache: DependencyCache | undefined;
  signer: TokenSigner;
  previewUrl: (session: string, port: number) => string;
  maxFileBytes: number;
  outputBufferBytes: number;
  log: (line: string) => void;
}

/** How many answers are kept for resent requests, and the largest payload kept with one. */
const KEEP_ANSWERS = 256;
const KEEP_ANSWER_BYTES = 1024 * 1024;

/** What a resent request gets when its answer was too large to keep. */
function lostAnswer(id: number): ServerMessage {
  return { t: 'res', id, ok: false, error: toWireError(new ProtocolError('The answer to this request was lost when the connection dropped; run it again.')) };
}

/** Unpacks a cached install read from stdin; $1 names what it restores. */
const RESTORE = 'echo "Restoring $1 from an earlier install of the same manifests..."; tar -x -f - -C /workspace && echo "Done."';

/** Session ids are DNS labels (they name preview hosts) with 80 bits of randomness, after `prefix` (a fleet's owner id). */
export function newSessionId(prefix = ''): string {
  return prefix + randomBytes(10).toString('hex');
}

export class Session {
  readonly id: string;
  readonly address: string;
  readonly createdAt = Date.now();
  readonly engine: LocalContainerEngine;
  lastActivity = Date.now();
  readonly #context: SessionContext;
  readonly #relays = new Map<number, OutputRelay>();
  readonly #processes = new Map<number, LocalProcess>();
  readonly #gate: FlowGate;
  /** Recent answers by request id, and the ids being served now (for resent requests). */
  readonly #answers = new Map<number, { message: ServerMessage; payload?: Uint8Array }>();
  readonly #serving = new Set<number>();
  /** The greeted connection, which gets live output; and one that connected but has not said hello yet. */
  #socket: WebSocket | undefined;
  #attaching: WebSocket | undefined;
  #nextPid = 1;
  #closed = false;
  #frozen: Promise<void> | undefined;
  #thawing: Promise<void> | undefined;

  constructor(id: string, address: string, engine: LocalContainerEngine, context: SessionContext) {
    this.id = id;
    this.address = address;
    this.engine = engine;
    this.#context = context;
    this.#gate = new FlowGate(context.outputBufferBytes);
    // A frozen sandbox wakes before anything reaches its agent (a preview request, a file read).
    engine.beforeEachRequest(() => this.thaw());
    engine.ports.subscribe(({ port, state }) => this.#send(this.#portMessage(port, state)));
  }

  /** Whether a client is connected now. */
  get connected(): boolean {
    return this.#socket !== undefined || this.#attaching !== undefined;
  }

  /** Unacknowledged output held for the client, in characters. */
  get bufferedOutput(): number {
    return this.#gate.bytes;
  }

  /**
   * Attaches a client's WebSocket, replacing (and closing) any earlier one. The
   * socket gets live output only after its hello, once what it missed has been
   * replayed, so output always arrives in sequence.
   */
  attach(socket: WebSocket): void {
    if (this.#closed) {
      socket.close(CLOSE.sessionEnded, 'The session has ended; create a new one.');
      return;
    }
    this.#socket?.close(CLOSE.replaced, 'Another connection took over this session.');
    this.#socket = undefined;
    this.#attaching = socket;
    this.lastActivity = Date.now();
    let greeted = false;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.lastActivity = Date.now();
      let message: ClientMessage;
      let payload: Uint8Array | undefined;
      try {
        const frame = decodeFrame(isBinary ? data : data.toString('utf8'));
        message = parseClientMessage(frame.message);
        payload = frame.payload;
      } catch (error) {
        this.#reply(socket, { t: 'error', error: toWireError(error) });
        return;
      }
      if (!greeted && message.t !== 'hello') {
        this.#reply(socket, { t: 'error', error: toWireError(new ProtocolError('The first message on a connection must be hello.')) });
        return;
      }
      if (message.t === 'hello') {
        if (greeted) return;
        if (message.v !== PROTOCOL_VERSION) {
          socket.close(CLOSE.versionMismatch, `This server speaks protocol ${PROTOCOL_VERSION}, the client ${message.v}; update the client.`);
          return;
        }
        if (this.#attaching !== socket) return; // a newer connection took over meanwhile
        greeted = true;
        this.#attaching = undefined;
        this.#socket = socket;
        this.#reply(socket, { t: 'hello', v: PROTOCOL_VERSION, session: this.id });
        for (const port of this.engine.openPorts) this.#reply(socket, this.#portMessage(port, 'open'));
        for (const [pid, relay] of this.#relays) relay.replay(message.resume?.[String(pid)] ?? 0);
        this.#sweepRelays();
      } else if (message.t === 'ack') {
        this.#relays.get(message.pid)?.ack(message.seq);
        this.#sweepRelays();
      } else if (message.t === 'ping') {
        this.#reply(socket, { t: 'pong', n: message.n });
      } else if (this.#answers.has(message.id)) {
        // A request resent after a reconnect that was served before the drop: answer it again, do not redo it.
        const answer = this.#answers.get(message.id)!;
        this.#reply(socket, answer.message, answer.payload);
      } else if (!this.#serving.has(message.id)) {
        let request: Request;
        try {
          request = parseRequest(message.op, message, payload);
        } catch (error) {
          this.#reply(socket, { t: 'error', id: message.id, error: toWireError(error) });
          return;
        }
        void this.#serve(message.id, request, payload);
      }
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#attaching === socket) this.#attaching = undefined;
      this.lastActivity = Date.now();
    });
    socket.on('error', () => undefined);
  }

  /** Whether the sandbox is frozen while its reader is away. */
  get frozen(): boolean {
    return this.#frozen !== undefined;
  }

  /** Freezes the sandbox while no client is connected (processes keep their state, use no CPU). */
  freeze(): Promise<void> {
    if (this.#closed || this.#frozen) return this.#frozen ?? Promise.resolve();
    const after = this.#thawing ?? Promise.resolve();
    this.#frozen = after.then(() => this.engine.pause()).catch((error: unknown) => this.#context.log(`session ${this.id}: pause failed: ${String(error)}`));
    return this.#frozen;
  }

  /**
   * Thaws a frozen sandbox (a reader came back, or its preview was asked for).
   * Every caller waits for the same thaw, so no request reaches a paused container.
   */
  thaw(): Promise<void> {
    const frozen = this.#frozen;
    if (!frozen) return this.#thawing ?? Promise.resolve();
    this.#frozen = undefined;
    const thawing = (async () => {
      await frozen;
      this.lastActivity = Date.now();
      if (!this.#closed) await this.engine.resume().catch((error: unknown) => this.#context.log(`session ${this.id}: resume failed: ${String(error)}`));
    })();
    this.#thawing = thawing;
    void thawing.then(() => {
      if (this.#thawing === thawing) this.#thawing = undefined;
    });
    return thawing;
  }

  /** Drops the client's connection without ending the session, as a network failure would (operators, tests). */
  disconnect(): void {
    this.#socket?.terminate();
    this.#attaching?.terminate();
  }

  /** Ends the session: closes the client with `reason`, tears the container down. */
  async close(reason: string, code: number = CLOSE.sessionEnded): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of [this.#socket, this.#attaching]) socket?.close(code, reason.slice(0, 120));
    this.#socket = undefined;
    this.#attaching = undefined;
    for (const relay of this.#relays.values()) relay.dispose();
    this.#relays.clear();
    await this.engine.teardown().catch((error: unknown) => this.#context.log(`session ${this.id}: teardown failed: ${String(error)}`));
  }

  /**
   * Serves a request and answers on whichever socket is attached when it is
   * done. The answer is kept for a while, so a request the client resends after
   * a reconnect is answered once more rather than performed twice.
   */
  async #serve(id: number, request: Request, payload: Uint8Array | undefined): Promise<void> {
    this.#serving.add(id);
    await this.thaw();
    let answer: { message: ServerMessage; payload?: Uint8Array };
    try {
      const { result, payload: bytes } = encodeResult(request.op, await serve(this.#handlers, request, payload));
      answer = { message: { t: 'res', id, ok: true, ...(result !== undefined && { result }) }, ...(bytes && { payload: bytes }) };
    } catch (error) {
      const reference = error instanceof SandboxError ? undefined : randomBytes(4).toString('hex');
      if (reference) this.#context.log(`session ${this.id}: ${request.op} failed (reference ${reference}): ${(error as Error)?.stack ?? String(error)}`);
      answer = { message: { t: 'res', id, ok: false, error: toWireError(error, reference) } };
    }
    this.#serving.delete(id);
    const kept = (answer.payload?.byteLength ?? 0) <= KEEP_ANSWER_BYTES ? answer : { message: lostAnswer(id) };
    this.#answers.set(id, kept);
    for (const old of this.#answers.keys()) {
      if (this.#answers.size <= KEEP_ANSWERS) break;
      this.#answers.delete(old);
    }
    if (this.#socket) this.#reply(this.#socket, answer.message, answer.payload);
  }

  /** The session's handler of each op (ops.ts has what each takes and answers). */
  readonly #handlers: Handlers = {
    mount: async ({ entries }, payload) => {
      this.#checkSize(payload);
      await this.engine.mount(treeFromEntries(entriesFromWire(entries, payload)));
    },
    writeFile: async ({ path }, payload) => {
      this.#checkSize(payload);
      await this.engine.writeFile(path, payload ?? new Uint8Array());
    },
    readFile: ({ path }) => this.engine.readFileBytes(path),
    deleteFile: ({ path }) => this.engine.deleteFile(path),
    readdir: ({ path }) => this.engine.readdir(path),
    exec: async ({ cmd, args, ...options }) => {
      const process = await this.engine.exec(cmd, args, options);
      return { pid: this.#track(process, [[1, process.stdout], [2, process.stderr]]) };
    },
    install: async ({ command }) => {
      const cached = command === undefined ? await this.#restoreDependencies() : {};
      if (cached.restored) return cached.restored;
      const install = await this.engine.startInstall(command ?? cached.command);
      if (!install) return { pid: null, command: null };
      return { pid: this.#track(install.process, [[1, install.process.stream]]), command: install.command };
    },
    devServer: async (options) => {
      const server = await this.engine.startDevServer(options);
      const pid = this.#track(server.process as LocalProcess, [[1, server.logs]]);
      return { pid, port: server.port, url: this.#context.previewUrl(this.id, server.port) };
    },
    stdin: ({ pid }, payload) => this.#process(pid).write(payload ?? new Uint8Array()),
    closeInput: ({ pid }) => this.#process(pid).closeInput(),
    resize: ({ pid, cols, rows }) => this.#process(pid).resize({ cols, rows }),
    kill: ({ pid, signal }) => this.#process(pid).kill(signal),
    token: async () => this.#context.signer.issue(this.id),
  };

  /**
   * Restores the workspace's dependencies from the cache when an earlier install
   * of the same manifests is there, as a process whose output says so. On a miss,
   * starts filling the cache (in a separate container) and returns the install
   * command it planned, so the workspace is not read twice.
   */
  async #restoreDependencies(): Promise<{ restored?: { pid: number; command: string }; command?: string }> {
    const cache = this.#context.cache;
    const plan = cache && (await cache.plan(this.engine, this.#context.image));
    if (!cache || !plan) return {};
    const archive = await cache.get(plan.key);
    if (!archive) {
      void cache.fill(plan, this.#context.image);
      return { command: plan.command };
    }
    const restore = await this.engine.exec('sh', ['-c', RESTORE, 'sh', plan.output]);
    const pid = this.#track(restore, [[1, restore.stdout], [2, restore.stderr]]);
    await restore.write(archive);
    await restore.closeInput();
    return { restored: { pid, command: `${plan.command} (restored from the dependency cache)` } };
  }

  #track(process: LocalProcess, outputs: ConstructorParameters<typeof OutputRelay>[2]): number {
    const pid = this.#nextPid++;
    this.#processes.set(pid, process);
    this.#relays.set(pid, new OutputRelay(pid, process, outputs, process.exit, this.#gate, (message) => this.#send(message)));
    // The streams the relay does not read would hold their output for a first subscriber that never comes.
    for (const stream of [process.stream, process.stdout, process.stderr]) stream.subscribe(() => undefined);
    void process.exit.then(() => this.#processes.delete(pid));
    return pid;
  }

  #process(pid: number): LocalProcess {
    const process = this.#processes.get(pid);
    if (!process) throw new ProtocolError(`No running process ${pid} in this session (it may have exited).`);
    return process;
  }

  #checkSize(payload: Uint8Array | undefined): void {
    if (payload && payload.byteLength > this.#context.maxFileBytes) {
      throw new LimitExceededError(`The files are larger than this server's ${Math.round(this.#context.maxFileBytes / 1048576)} MiB limit; nothing was written.`);
    }
  }

  #sweepRelays(): void {
    for (const [pid, relay] of this.#relays) if (relay.finished) this.#relays.delete(pid);
  }

  #portMessage(port: number, state: 'open' | 'closed'): ServerMessage {
    return { t: 'port', port, state, url: this.#context.previewUrl(this.id, port) };
  }

  #send(message: ServerMessage): void {
    if (this.#socket) this.#reply(this.#socket, message);
  }

  #reply(socket: WebSocket, message: ServerMessage, payload?: Uint8Array): void {
    if (socket.readyState === socket.OPEN) socket.send(encodeFrame(message, payload));
  }
}
