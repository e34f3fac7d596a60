/**
 * A tiny round-robin load balancer for tests: every request and every
 * WebSocket upgrade goes to the next server in turn (so one reader's requests
 * land on every server); a server that refuses connections is skipped, as
 * nginx's `proxy_next_upstream error` does. Counts what it sent where.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { forwardHttp, forwardUpgrade } from '../../../src/server/fleet/forward.js';

export interface RoundRobinProxy {
  url: string;
  /** Requests and upgrades sent to each server, by its base URL. */
  sent: Map<string, number>;
  /** Servers that took no connection (the proxy skipped them). */
  skipped: number;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(servers: string[]): Promise<RoundRobinProxy> {
  let next = 0;
  const sent = new Map<string, number>();
  const state = { skipped: 0 };
  /** The next server in turn that takes a connection (the request itself is sent once: it is not buffered for a retry). */
  const pick = async (): Promise<URL | undefined> => {
    for (let tries = 0; tries < servers.length; tries++) {
      const target = new URL(servers[next++ % servers.length]!);
      if (await accepts(target)) {
        sent.set(target.origin, (sent.get(target.origin) ?? 0) + 1);
        return target;
      }
      state.skipped++;
    }
    return undefined;
  };
  const server: Server = createServer((req, res) => {
    req.pause();
    void pick().then((target) => (target ? forwardHttp(req, res, target, {}, () => res.destroy()) : res.writeHead(502).end('no server answers')));
  });
  server.on('upgrade', (req, socket, head) => {
    socket.pause();
    void pick().then((target) => (target ? forwardUpgrade(req, socket, head, target, {}, () => socket.destroy()) : socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    sent,
    get skipped() {
      return state.skipped;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function accepts(target: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(Number(target.port), target.hostname);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
