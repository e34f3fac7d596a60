/**
 * Runs a short helper command in a sandbox and collects its output as bytes:
 * the file API's transport (tar in through stdin, file bytes out through stdout).
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { DockerStreamDemuxer } from './docker-stream.js';

/** How a helper command ended. */
export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `cmd` (as the container's user, in the workspace), feeding it `stdin` if given. */
export async function runToEnd(container: Docker.Container, cmd: string[], stdin?: Uint8Array): Promise<RunResult> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdin: stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
  });
  const socket = (await exec.start({ hijack: true, stdin: stdin !== undefined })) as Duplex;
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const demuxer = new DockerStreamDemuxer((kind, payload) => (kind === 'stdout' ? stdout : stderr).push(Buffer.from(payload)));
  socket.on('data', (chunk: Buffer) => demuxer.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
    socket.once('error', reject);
  });
  if (stdin !== undefined) socket.end(stdin);
  await ended;
  socket.destroy();
  return { code: await exitCodeOf(exec), stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') };
}

/**
 * The exit code Docker recorded for an exec whose streams have ended (it can lag
 * the end of the stream by a few milliseconds); 137 when the container vanished
 * under the process, as if it had been killed.
 */
export async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const info = await exec.inspect().catch(() => undefined);
    if (!info) return 137;
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return 137;
}
