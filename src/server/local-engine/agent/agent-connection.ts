/**
 * One connection to a sandbox's agent: requests with ids and their responses,
 * events, and channels (processes, forwarded TCP connections) with per-channel
 * credit. Transport-neutral: bytes from the agent go into `receive()`, bytes to
 * it leave through the `write` callback (`attachAgent` wires a container's
 * attach stream). Anything malformed from the agent fails the connection, never
 * the server.
 */
import { ProtocolError } from '../../../engine/errors.js';
import { AgentRequestError, type AgentErrorBody } from './agent-errors.js';
import { ReceiveCredit, SendCredit } from './flow-control.js';
import { encodeBody, encodeData, encodeMessage, FrameDecoder, type Frame, type Json } from './frames.js';

/** A successful response: its result and, for `read-file` and `tar`, its body. */
export interface AgentResponse {
  result: Json;
  body?: Buffer;
}

/** What the agent says about a channel. */
export interface ChannelHandler {
  /** Bytes on stream 1 (stdout, or from a TCP connection) or 2 (stderr). */
  data(stream: number, bytes: Buffer): void;
  /** `exit` of a process, `end` of a connection; the JSON of the event. */
  event(event: Json): void;
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
  readonly #pending = new Map<number, { resolve: (response: AgentResponse) => void; reject: (error: Error) => void }>();
  readonly #channels = new Map<number, { channel: AgentChannel; handler: ChannelHandler }>();
  readonly #portListeners = new Set<(event: AgentPortEvent) => void>();
  readonly #closeListeners = new Set<(error: Error) => void>();
  #nextId = 1;
  #nextChannel = 1;
  #failure: Error | undefined;
  #ready: { resolve: (hello: Json) => void; promise: Promise<Json> };

  constructor(write: (bytes: Buffer) => void) {
    this.#write = write;
    let resolve!: (hello: Json) => void;
    const promise = new Promise<Json>((done, fail) => {
      resolve = done;
      this.#closeListeners.add(fail);
    });
    promise.catch(() => undefined);
    this.#ready = { resolve, promise };
  }

  /** Resolves with the agent's `ready` event (the first thing it says). */
  get ready(): Promise<Json> {
    return this.#ready.promise;
  }

  /** Why the connection ended, once it has. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Sends a request; resolves with its result, rejects with `AgentRequestError` or the connection's failure. */
  request(op: string, fields: Json = {}, body?: Uint8Array): Promise<AgentResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const message = { ...fields, id, op };
    return new Promise<AgentResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
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
    const message = frame.message;
    if (typeof message['id'] === 'number') return this.#respond(message, frame.kind === 'body' ? frame.body : undefined);
    if (typeof message['event'] === 'string') return this.#event(message);
    throw new ProtocolError('The agent sent a message that is neither a response nor an event.');
  }

  #respond(message: Json, body: Buffer | undefined): void {
    const id = message['id'] as number;
    const pending = this.#pending.get(id);
    if (!pending) throw new ProtocolError(`The agent answered request ${id}, which is not waiting for an answer.`);
    this.#pending.delete(id);
    if (message['ok'] === true) {
      const result = message['result'];
      pending.resolve({ result: isObject(result) ? result : {}, ...(body && { body }) });
      return;
    }
    const error = message['error'];
    if (!isObject(error) || typeof error['code'] !== 'string' || typeof error['message'] !== 'string') {
      throw new ProtocolError(`The agent answered request ${id} with neither a result nor a valid error.`);
    }
    pending.reject(new AgentRequestError(error as unknown as AgentErrorBody));
  }

  #event(message: Json): void {
    const name = message['event'];
    if (name === 'ready') return this.#ready.resolve(message);
    if (name === 'port') {
      const { port, state, address } = message;
      if (!isPort(port) || (state !== 'open' && state !== 'closed')) throw new ProtocolError('The agent sent a malformed port event.');
      for (const listener of this.#portListeners) listener({ port, state, address: typeof address === 'string' ? address : undefined });
      return;
    }
    const channel = message['channel'];
    if (typeof channel !== 'number') throw new ProtocolError(`The agent sent a "${String(name)}" event without a channel.`);
    const entry = this.#channels.get(channel);
    if (!entry) return; // a channel already released
    if (name === 'ack') entry.channel.acked(message['bytes'] as number);
    else entry.handler.event(message);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536;
}
