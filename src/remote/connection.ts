/**
 * The client end of a session's WebSocket: requests matched to responses by id,
 * heartbeats, token refresh, and reconnection with backoff that resumes every
 * process's output from the last sequence number the client saw and resends
 * unanswered requests (the server answers repeats without performing them twice).
 */
import { EngineUnavailableError, SandboxError } from '../engine/errors.js';
import { raceSignal, sleep } from '../engine/wait.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import { parseServerMessage, type ClientMessage, type ServerMessage } from '../protocol/envelope.js';
import { FINAL_CLOSE_CODES, PROTOCOL_VERSION } from '../protocol/messages.js';
import { decodeResult, type Op, type Params, type Result } from '../protocol/ops.js';
import { fromWireError } from '../protocol/wire-errors.js';

/** The part of the WHATWG WebSocket this client uses (browsers' and the `ws` package's both fit). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket constructor, such as `globalThis.WebSocket` or `ws`'s. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** How reconnection behaves. */
export interface ReconnectOptions {
  /** Attempts before giving up (default 8). */
  attempts?: number;
  /** First delay in ms, doubled each attempt (default 100). */
  baseDelay?: number;
  /** Longest delay in ms (default 5000). */
  maxDelay?: number;
}

export interface ConnectionOptions {
  websocketUrl: string;
  token: string;
  expiresAt: number;
  WebSocket: WebSocketConstructor;
  reconnect?: ReconnectOptions;
  /** Heartbeat period in ms; a connection silent for two periods is dropped and re-established (default 15 s). */
  heartbeat?: number;
  /** Process output and exits. */
  onEvent(message: Extract<ServerMessage, { t: 'out' | 'exit' }>): void;
  /** A port opened or closed in the sandbox. */
  onPort(message: Extract<ServerMessage, { t: 'port' }>): void;
  /** The last sequence number seen per process, sent when resuming. */
  resumeState(): Record<string, number>;
  /** The connection is gone for good (session ended, token refused, reconnects exhausted). */
  onFinalClose(error: SandboxError): void;
}

interface Pending {
  op: Op;
  /** The encoded request, resent after a reconnect if no answer came (the server answers a repeat without redoing it). */
  frame: string | Uint8Array;
  /** Takes the answer's result, checked against the op's schema. */
  resolve(result: unknown): void;
  reject(error: Error): void;
}

const OPEN = 1;

export class Connection {
  readonly #options: ConnectionOptions;
  readonly #pending = new Map<number, Pending>();
  #socket: WebSocketLike | undefined;
  #token: string;
  #nextId = 1;
  #ready: Promise<void>;
  #closed: SandboxError | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #refresh: ReturnType<typeof setTimeout> | undefined;
  #lastHeard = Date.now();

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#token = options.token;
    this.#ready = this.#connect();
    this.#ready.catch(() => undefined);
    this.#scheduleRefresh(options.expiresAt);
  }

  /** Resolves once the server has greeted this connection (after reconnects, the current one). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The current token (refreshed before it expires). */
  get token(): string {
    return this.#token;
  }

  /**
   * Sends a request and resolves with its result, checked against the op's
   * schema (a malformed one rejects with a ProtocolError naming the op and the
   * field); waits for a connection first.
   */
  async call<O extends Op>(op: O, params: Params<O>, payload?: Uint8Array, signal?: AbortSignal): Promise<Result<O>> {
    // Wait for a live socket: after a drop, #ready is the reconnection under way.
    for (;;) {
      await raceSignal(this.#ready, signal);
      if (this.#closed) throw this.#closed;
      if (this.#socket?.readyState === OPEN) break;
      await sleep(20, signal);
    }
    const id = this.#nextId++;
    const frame = encodeFrame({ t: 'req', id, op, ...params }, payload);
    const response = new Promise<Result<O>>((resolve, reject) => {
      this.#pending.set(id, { op, frame, resolve: resolve as (result: unknown) => void, reject });
    });
    this.#socket!.send(frame);
    return raceSignal(response, signal, () => this.#pending.delete(id));
  }

  /** Sends a message that has no response (acks). Dropped while disconnected: resuming covers it. */
  send(message: ClientMessage): void {
    if (this.#socket?.readyState === OPEN) this.#socket.send(encodeFrame(message));
  }

  /** Closes for good. */
  close(): void {
    this.#shutDown(new EngineUnavailableError('The sandbox was torn down.'));
  }

  /** Drops the socket as if the network had (for tests of resumption). */
  drop(): void {
    this.#socket?.close();
  }

  #connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const url = `${this.#options.websocketUrl}?token=${encodeURIComponent(this.#token)}`;
      let socket: WebSocketLike;
      try {
        socket = new this.#options.WebSocket(url);
      } catch (error) {
        reject(new EngineUnavailableError(`Cannot open a WebSocket to ${this.#options.websocketUrl}: ${(error as Error).message}`));
        return;
      }
      socket.binaryType = 'arraybuffer';
      this.#socket = socket;
      let greeted = false;
      socket.onopen = () => socket.send(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, resume: this.#options.resumeState() }));
      socket.onmessage = (event) => {
        this.#lastHeard = Date.now();
        let message: ServerMessage;
        let payload: Uint8Array | undefined;
        try {
          const frame = decodeFrame(event.data as string | ArrayBuffer);
          message = parseServerMessage(frame.message);
          payload = frame.payload;
        } catch (error) {
          this.#shutDown(error as SandboxError);
          return;
        }
        if (message.t === 'hello') {
          greeted = true;
          this.#startHeartbeat();
          for (const pending of this.#pending.values()) socket.send(pending.frame);
          resolve();
        } else {
          this.#dispatch(message, payload);
        }
      };
      socket.onerror = () => undefined; // onclose follows with the code
      socket.onclose = (event) => {
        if (this.#socket !== socket) return;
        this.#socket = undefined;
        this.#stopHeartbeat();
        if (this.#closed) return;
        if (FINAL_CLOSE_CODES.has(event.code)) {
          const error = new EngineUnavailableError(event.reason || `The sandbox server closed the session (code ${event.code}).`);
          this.#shutDown(error);
          reject(error);
        } else if (!greeted) {
          reject(new EngineUnavailableError(`Cannot connect to the sandbox server at ${this.#options.websocketUrl} (code ${event.code}). Check that it is running and that this page's origin is allowed.`));
        } else {
          // An established connection dropped: processes keep running on the server; resume them.
          this.#ready = this.#reconnect();
          this.#ready.catch(() => undefined);
        }
      };
    });
  }

  async #reconnect(): Promise<void> {
    const { attempts = 8, baseDelay = 100, maxDelay = 5000 } = this.#options.reconnect ?? {};
    for (let attempt = 0; attempt < attempts && !this.#closed; attempt++) {
      await sleep(Math.min(maxDelay, baseDelay * 2 ** attempt));
      if (this.#closed) break;
      try {
        await this.#connect();
        return;
      } catch {
        // try again after a longer delay
      }
    }
    const error = this.#closed ?? new EngineUnavailableError(`Lost the connection to the sandbox server at ${this.#options.websocketUrl} and could not reconnect after ${attempts} attempts. Run the example again.`);
    this.#shutDown(error);
    throw error;
  }

  #dispatch(message: ServerMessage, payload: Uint8Array | undefined): void {
    switch (message.t) {
      case 'res': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        if (!message.ok) {
          pending.reject(fromWireError(message.error));
          return;
        }
        try {
          pending.resolve(decodeResult(pending.op, message.result, payload));
        } catch (error) {
          pending.reject(error as Error); // a malformed result fails its request, not the connection
        }
        return;
      }
      case 'error': {
        const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
        if (pending) {
          this.#pending.delete(message.id!);
          pending.reject(fromWireError(message.error));
        }
        return;
      }
      case 'out':
      case 'exit':
        this.#options.onEvent(message);
        return;
      case 'port':
        this.#options.onPort(message);
        return;
      case 'pong':
      case 'hello':
        return;
    }
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    const period = this.#options.heartbeat ?? 15_000;
    let n = 0;
    this.#lastHeard = Date.now();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * period) {
        this.#socket?.close(); // silent peer: onclose reconnects
        return;
      }
      this.send({ t: 'ping', n: n++ });
    }, period);
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #scheduleRefresh(expiresAt: number): void {
    const lead = Math.max(1000, (expiresAt - Date.now()) / 2);
    this.#refresh = setTimeout(() => {
      this.call('token', {})
        .then((fresh) => {
          this.#token = fresh.token;
          this.#scheduleRefresh(fresh.expiresAt);
        })
        .catch(() => this.#scheduleRefresh(Date.now() + 10_000));
    }, lead);
    (this.#refresh as { unref?: () => void }).unref?.();
  }

  #shutDown(error: SandboxError): void {
    if (this.#closed) return;
    this.#closed = error;
    this.#stopHeartbeat();
    clearTimeout(this.#refresh);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'client closed');
    this.#options.onFinalClose(error);
  }
}
