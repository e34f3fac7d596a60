/**
 * Servers of a fleet as real processes (the CLI), so a test can kill one with
 * SIGKILL as a crash would, and start it again on the same address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import { until } from '../../contract/helpers.js';

export interface FleetServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  port: number;
  owner: string;
  secret: string;
  /** Further CLI flags (--peer, --public-url, --preview-url, limits...). */
  args: string[];
  /** Environment over this process's (DOCKER_HOST, say). */
  env?: NodeJS.ProcessEnv;
  /** Runs the CLI through this command prefix (e.g. `ip netns exec NAME`). */
  prefix?: string[];
}

export interface FleetServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything it printed. */
  readonly output: () => string;
  /** Stops it with `signal` and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (to name a server's peers before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export async function startFleetServer(options: FleetServerOptions): Promise<FleetServer> {
  const host = options.host ?? '127.0.0.1';
  const argv = [process.execPath, '--import', 'tsx', 'src/server/cli.ts', '--host', host, '--port', String(options.port), '--owner', options.owner, '--pool', '0', '--dependency-cache', 'off', ...options.args];
  const [command, ...args] = [...(options.prefix ?? []), ...argv] as [string, ...string[]];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env, CODE_SANDBOX_SECRET: options.secret } });
  let printed = '';
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = once(child, 'exit');
  await until(`the server on port ${options.port} to listen`, async () => {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${printed}`);
    return /code-sandbox-server listening on/.test(printed);
  }, 60_000);
  return {
    url: `http://${host}:${options.port}`,
    process: child,
    output: () => printed,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** Opens a preview's WebSocket (HMR) through `url` and resolves with its first message. */
export async function hmr(url: string, previewHost: string): Promise<string> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/`, { headers: { host: previewHost } });
  const [data] = (await once(socket, 'message')) as [Buffer];
  socket.terminate();
  return data.toString();
}
