/**
 * A listener on this host's loopback that forwards each connection to a port
 * inside the sandbox (through the agent): the `url` a standalone local engine's
 * dev server answers at. Only this host can reach it; the orchestrator does not
 * use it (its preview proxy connects through the agent directly).
 */
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';

/** A running forwarder: where it listens, and how to stop it. */
export interface PortForwarder {
  url: string;
  close(): void;
}

export async function forwardPort(port: number, connect: (port: number) => Promise<Duplex>): Promise<PortForwarder> {
  const server: Server = createServer((client) => {
    client.pause();
    connect(port).then(
      (upstream) => {
        pipeline(client, upstream, () => undefined);
        pipeline(upstream, client, () => undefined);
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}
