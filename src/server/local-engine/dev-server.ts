/**
 * What starting a dev server needs around its process: its logs (with a tail
 * for error messages), and waiting until one of the ports it opened answers
 * HTTP, asked through the agent's forwarded connections.
 */
import type { Duplex } from 'node:stream';
import type { ProcessHandle } from '../../engine/container-engine.js';
import { OutputSubject } from '../../engine/observable.js';
import { sleep, throwIfAborted } from '../../engine/wait.js';

const LOG_TAIL_BYTES = 4096;
/** How long one port may take to answer a probe before the next is tried. */
const PROBE_TIMEOUT = 2000;

/** The server's logs for callers, the last lines printed, and its exit code once it exited. */
export function followDevServer(server: ProcessHandle): { logs: OutputSubject<string>; tail: () => string; exitCode: () => number | undefined } {
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
  return { logs, tail: () => tail, exitCode: () => exitCode };
}

/**
 * Probes `candidates()` (re-read each round, as ports open) until one answers
 * HTTP; resolves with it, or `undefined` once the server exited first.
 */
export async function waitForHttp(
  candidates: () => number[],
  connect: (port: number) => Promise<Duplex>,
  signal: AbortSignal,
  exitCode: () => number | undefined,
): Promise<number | undefined> {
  for (;;) {
    throwIfAborted(signal);
    if (exitCode() !== undefined) return undefined;
    for (const port of candidates()) if (await answersHttp(port, connect)) return port;
    await sleep(100, signal);
  }
}

/** Whether an HTTP request to `port` gets an HTTP response (any status). */
async function answersHttp(port: number, connect: (port: number) => Promise<Duplex>): Promise<boolean> {
  const socket = await connect(port).catch(() => undefined);
  if (!socket) return false;
  return new Promise<boolean>((resolve) => {
    let seen = '';
    const done = (answered: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), PROBE_TIMEOUT);
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.length >= 5) done(seen.startsWith('HTTP/'));
    });
    socket.once('end', () => done(false));
    socket.once('error', () => done(false));
    socket.write(`GET / HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
  });
}
