/**
 * One connection to a sandbox's agent: requests with ids and their responses,
 * events, and channels (processes, forwarded TCP connections) with per-channel
 * credit. Transport-neutral: bytes from the agent go into `receive()`, bytes to
 * it leave through the `write` callback (`attachAgent` wires a container's
 * attach stream). Anything malformed from the agent fails the connection, never
 * the server.
 */
import { ProtocolError } from '../../../engine/errors.js';
import { AgentRequestError } from './agent-errors.js';
import { checkAgentResult, parseAgentMessage, type AgentEvent, type AgentOp, type AgentResponseMessage, type AgentResult } from './agent-messages.js';
import { ReceiveCredit, SendCredit } from './flow-control.js';
import { encodeBody, encodeData, encodeMessage, FrameDecoder, type Frame, type Json } from './frames.js';

/** A successful response: its result (checked against the op's schema) and, for `read-file` and `tar`, its body. */
export interface AgentResponse<O extends AgentOp = AgentOp> {
  result: AgentResult<O>;
  body?: Buffer;
}

/** What the agent says about a channel. */
export interface ChannelHandler {
  /** Bytes on stream 1 (stdout, or from a TCP connection) or 2 (stderr). */
  data(stream: number, bytes: Buffer): void;
  /** `exit` of a process, `end` of a connection. */
  event(event: Extract<AgentEvent, { event: 'exit' | 'end' }>): void;
  /** The connection to the agent ended: nothing more comes. */
  lost(error: Error): void;
}

/** A TCP port that began or stopped listening in the sandbox, and the address the agent saw it on. */
export interface AgentPortEvent {
  port: number;
  state: 'open' | 'closed';
  address: string | undefined;
}

/** Most channels the agent serves at once. */
export const MAX_CHANNELS = 1024;

/** A channel: send with credit, and credit returned for what its handler consumed. */
export class AgentChannel {
  readonly id: number;
  readonly #connection: AgentConnection;
  readonly #send = new SendCredit();
  readonly receive: ReceiveCredit;

  constructor(connection: AgentConnection, id: number) {
    this.#connection = connection;
    this.id = id;
    this.receive = new ReceiveCredit((bytes) => connection.notify({ op: 'ack', channel: id, bytes }));
  }

  /** Sends bytes into the sandbox (stream 0); resolves once they are sent within the window. */
  write(bytes: Uint8Array): Promise<void> {
    return this.#send.send(bytes, (chunk) => this.#connection.writeFrame(encodeData(this.id, 0, chunk)));
  }

  /** @internal the agent returned credit */
  acked(bytes: number): void {
    this.#send.ack(bytes);
  }

  /** @internal */
  closeSending(error: Error): void {
    this.#send.close(error);
  }

  /** Forgets the channel (after exit, or once a connection is closed both ways). */
  release(): void {
    this.#connection.release(this.id);
    this.#send.close(new ProtocolError(`Channel ${this.id} is closed.`));
  }
}

export class AgentConnection {
  readonly #write: (bytes: Buffer) => void;
  readonly #decoder = new FrameDecoder();
  readonly #pending = new Map<number, { op: AgentOp; resolve: (response: AgentResponse<never>) => void; reject: (error: Error) => void }>();
  readonly #channels = new Map<number, { channel: AgentChannel; handler: ChannelHandler }>();
  readonly #portListeners = new Set<(event: AgentPortEvent) => void>();
  readonly #closeListeners = new Set<(error: Error) => void>();
  #nextId = 1;
  #nextChannel = 1;
  #failure: Error | undefined;
  #ready: { resolve: (hello: AgentReady) => void; promise: Promise<AgentReady> };

  constructor(write: (bytes: Buffer) => void) {
    this.#write = write;
    let resolve!: (hello: AgentReady) => void;
    const promise = new Promise<AgentReady>((done, fail) => {
      resolve = done;
      this.#closeListeners.add(fail);
    });
    promise.catch(() => undefined);
    this.#ready = { resolve, promise };
  }

  /** Resolves with the agent's `ready` event (the first thing it says). */
  get ready(): Promise<AgentReady> {
    return this.#ready.promise;
  }

  /** Why the connection ended, once it has. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Sends a request; resolves with its result, rejects with `AgentRequestError` or the connection's failure. */
  request<O extends AgentOp>(op: O, fields: Json = {}, body?: Uint8Array): Promise<AgentResponse<O>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const message = { ...fields, id, op };
    return new Promise<AgentResponse<O>>((resolve, reject) => {
      this.#pending.set(id, { op, resolve, reject });
      try {
        this.writeFrame(body ? encodeBody(message, body) : encodeMessage(message));
      } catch (error) {
        this.#pending.delete(id);
        reject(error as Error);
      }
    });
  }

  /** Sends a message that gets no response (`ack`). */
  notify(message: Json): void {
    if (!this.#failure) this.writeFrame(encodeMessage(message));
  }

  /** @internal */
  writeFrame(frame: Buffer): void {
    this.#write(frame);
  }

  /** Opens a channel whose data and events go to `handler`. */
  openChannel(handler: ChannelHandler): AgentChannel {
    if (this.#failure) throw this.#failure;
    if (this.#channels.size >= MAX_CHANNELS) throw new ProtocolError(`The sandbox already has ${MAX_CHANNELS} processes and connections open; end some first.`);
    while (this.#channels.has(this.#nextChannel) || this.#nextChannel === 0) this.#nextChannel = (this.#nextChannel % 0xffffffff) + 1;
    const channel = new AgentChannel(this, this.#nextChannel++);
    this.#channels.set(channel.id, { channel, handler });
    return channel;
  }

  /** @internal */
  release(id: number): void {
    this.#channels.delete(id);
  }

  /** Listens to port events; returns the function that stops listening. */
  onPort(listener: (event: AgentPortEvent) => void): () => void {
    this.#portListeners.add(listener);
    return () => this.#portListeners.delete(listener);
  }

  /** Listens to the end of the connection (the agent exited, the container stopped, or a protocol error). */
  onClose(listener: (error: Error) => void): () => void {
    if (this.#failure) listener(this.#failure);
    else this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Feeds bytes the agent wrote. A protocol error closes the connection (it is not thrown). */
  receive(chunk: Buffer): void {
    if (this.#failure) return;
    try {
      for (const frame of this.#decoder.push(chunk)) this.#dispatch(frame);
    } catch (error) {
      this.close(error instanceof ProtocolError ? error : new ProtocolError(`The sandbox agent sent something unexpected: ${(error as Error).message}`));
    }
  }

  /** Ends the connection: every pending request and channel learns `error`. */
  close(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
    for (const { channel, handler } of this.#channels.values()) {
      channel.closeSending(error);
      handler.lost(error);
    }
    this.#channels.clear();
    for (const listener of this.#closeListeners) listener(error);
    this.#closeListeners.clear();
    this.#portListeners.clear();
  }

  #dispatch(frame: Frame): void {
    if (frame.kind === 'data') {
      const entry = this.#channels.get(frame.channel);
      if (!entry) return; // output that raced a release: nobody wants it
      if (frame.stream !== 1 && frame.stream !== 2) throw new ProtocolError(`The agent sent data on stream ${frame.stream}.`);
      entry.channel.receive.received(frame.bytes.length);
      entry.handler.data(frame.stream, frame.bytes);
      return;
    }
    const message = parseAgentMessage(frame.message);
    if ('id' in message) this.#respond(message, frame.kind === 'body' ? frame.body : undefined);
    else this.#event(message);
  }

  #respond(message: AgentResponseMessage, body: Buffer | undefined): void {
    const pending = this.#pending.get(message.id);
    if (!pending) throw new ProtocolError(`The agent answered request ${message.id}, which is not waiting for an answer.`);
    if (!message.ok) {
      this.#pending.delete(message.id);
      pending.reject(new AgentRequestError(message.error));
      return;
    }
    // A malformed result throws here and ends the connection (receive()), whose close() rejects this request with why.
    const result = checkAgentResult(pending.op, message.result);
    this.#pending.delete(message.id);
    pending.resolve({ result: result as never, ...(body && { body }) });
  }

  #event(event: AgentEvent): void {
    if (event.event === 'ready') return this.#ready.resolve(event);
    if (event.event === 'port') {
      for (const listener of this.#portListeners) listener({ port: event.port, state: event.state, address: event.address });
      return;
    }
    const entry = this.#channels.get(event.channel);
    if (!entry) return; // a channel already released
    if (event.event === 'ack') entry.channel.acked(event.bytes);
    else entry.handler.event(event);
  }
}

/** The agent's first message. */
export type AgentReady = Extract<AgentEvent, { event: 'ready' }>;
