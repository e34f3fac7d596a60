/**
 * Wires an `AgentConnection` to a container's attach stream (stdin to the
 * agent; stdout multiplexed with the agent's stderr log, since the container
 * has no tty). Attach before `start`, so the agent's first words are not lost.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ProtocolError } from '../../../engine/errors.js';
import { DockerStreamDemuxer } from '../docker-stream.js';
import { AgentConnection } from './agent-connection.js';

/** Most bytes of the agent's stderr log kept for an error message. */
const LOG_TAIL = 2048;

/** The agent's connection, and what the agent logged last (for a failure's message). */
export interface AttachedAgent {
  connection: AgentConnection;
  logTail(): string;
}

export async function attachAgent(container: Docker.Container): Promise<AttachedAgent> {
  const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  let log = '';
  const connection = new AgentConnection((bytes) => void socket.write(bytes));
  const demuxer = new DockerStreamDemuxer((kind, payload) => {
    if (kind === 'stdout') connection.receive(payload);
    else log = (log + payload.toString('utf8')).slice(-LOG_TAIL);
  });
  socket.on('data', (chunk: Buffer) => demuxer.push(chunk));
  const lost = () => connection.close(new ProtocolError(`The sandbox agent stopped${log ? ` (its last words: ${log.trim()})` : ''}; the sandbox is gone.`));
  socket.once('end', lost);
  socket.once('close', lost);
  socket.once('error', lost);
  connection.onClose(() => socket.destroy());
  return { connection, logTail: () => log };
}
