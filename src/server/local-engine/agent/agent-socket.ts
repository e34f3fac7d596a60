/**
 * A TCP connection to a port inside the sandbox, forwarded by the agent, as a
 * Node Duplex (what `http.request`'s `createConnection` and upgrade proxying
 * take). Backpressure holds both ways: writes wait for the agent's credit, and
 * bytes the reader has not taken are not acknowledged, so the agent stops
 * reading the sandbox's socket.
 */
import { Duplex } from 'node:stream';
import { sandboxError } from './agent-errors.js';
import type { AgentChannel, AgentConnection } from './agent-connection.js';

/** Opens a forwarded connection to `port` in the sandbox; rejects with `ConnectRefusedError` when nothing listens. */
export async function connectAgentSocket(connection: AgentConnection, port: number): Promise<Duplex> {
  const socket = new AgentSocket();
  const channel = connection.openChannel({
    data: (_stream, bytes) => socket.arrived(bytes),
    event: (event) => {
      if (event.event === 'end') socket.push(null);
    },
    // The sandbox went away: like a reset, but never an 'error' nobody listens to (that would end the server).
    lost: () => socket.destroy(),
  });
  socket.bind(connection, channel);
  try {
    await connection.request('connect', { channel: channel.id, port });
  } catch (error) {
    channel.release();
    throw sandboxError(error, undefined, `Connecting to port ${port}`);
  }
  return socket;
}

class AgentSocket extends Duplex {
  #connection: AgentConnection | undefined;
  #channel: AgentChannel | undefined;
  constructor() {
    super();
    // A write after the sandbox went away fails; whoever listens hears it, and nobody listening must not crash the server.
    this.on('error', () => undefined);
  }

  /** Bytes pushed to the reader but held from the agent's credit, while the reader is full. */
  #held = 0;
  #wantsMore = true;

  bind(connection: AgentConnection, channel: AgentChannel): void {
    this.#connection = connection;
    this.#channel = channel;
  }

  arrived(bytes: Buffer): void {
    this.#wantsMore = this.push(bytes);
    if (this.#wantsMore) this.#channel!.receive.consumed(bytes.length);
    else this.#held += bytes.length;
  }

  override _read(): void {
    this.#wantsMore = true;
    if (this.#held === 0) return;
    const held = this.#held;
    this.#held = 0;
    this.#channel!.receive.consumed(held);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#channel!.write(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#connection!.request('shutdown', { channel: this.#channel!.id }).then(() => callback(), () => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const channel = this.#channel;
    if (channel && !this.#connection!.failure) void this.#connection!.request('close', { channel: channel.id }).catch(() => undefined);
    channel?.release();
    callback(error);
  }
}
