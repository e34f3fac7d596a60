/**
 * Server-to-server hops: a request one server passes to another carries a
 * signature made with the fleet's shared secret, bound to the request line,
 * its Host, the reader's address and a time. The receiving server trusts the
 * reader's address it names and never passes the request on again. The
 * headers are removed before anything else sees the request, so a sandbox (a
 * preview's dev server) never receives one it could replay, and a reader
 * cannot forge one without the secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const HOP = 'x-code-sandbox-hop';
const CLIENT = 'x-code-sandbox-client';
/** How long a signed hop stays valid (clocks of a fleet agree within this). */
const WINDOW_MS = 30_000;

export class HopSigner {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret);
  }

  /** The headers that mark `req` as passed on by a server of the fleet. */
  sign(req: IncomingMessage, now = Date.now()): Record<string, string> {
    const client = clientAddress(req);
    return { [HOP]: `${now}.${this.#mac(req, client, now)}`, [CLIENT]: client };
  }

  /**
   * Removes the hop headers from `req` and returns the reader's address they
   * name when they are valid, else `undefined` (absent, forged, stale).
   */
  accept(req: IncomingMessage, now = Date.now()): string | undefined {
    const hop = req.headers[HOP];
    const client = req.headers[CLIENT];
    strip(req);
    if (typeof hop !== 'string' || typeof client !== 'string') return undefined;
    const [time, mac] = hop.split('.');
    const at = Number(time);
    if (!mac || !(Math.abs(now - at) <= WINDOW_MS)) return undefined;
    const expected = Buffer.from(this.#mac(req, client, at));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected) ? client : undefined;
  }

  #mac(req: IncomingMessage, client: string, at: number): string {
    const payload = [at, req.method, req.url, req.headers.host ?? '', client].join('\n');
    return createHmac('sha256', this.#secret).update(`hop\n${payload}`).digest('base64url');
  }
}

/** The reader's address: the one a hop named, else the connection's. */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Makes `client` the address the rest of the server sees for this request
 * (rate limits and per-address caps count readers, not the forwarding server);
 * `undefined` restores the connection's own.
 * Safe on a kept-alive connection: a server reads the address synchronously
 * when the request arrives, and the next request on it sets its own.
 */
export function attributeTo(req: IncomingMessage, client: string | undefined): void {
  if (client !== undefined) Object.defineProperty(req.socket, 'remoteAddress', { value: client, configurable: true });
  else if (Object.hasOwn(req.socket, 'remoteAddress')) delete (req.socket as { remoteAddress?: string }).remoteAddress;
}

function strip(req: IncomingMessage): void {
  delete req.headers[HOP];
  delete req.headers[CLIENT];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!.toLowerCase();
    if (name === HOP || name === CLIENT) raw.splice(i, 2);
  }
}
