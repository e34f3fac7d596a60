/**
 * The egress proxy sandboxes with `registries` egress go through: an HTTP
 * forward proxy (CONNECT tunnels for HTTPS, absolute-URI requests for plain
 * HTTP) that serves only sandbox containers, reaches only the hosts of its
 * allowlist, and logs every refusal with the session it came from. The
 * firewall (egress-network.ts) makes it the only way out: the sandbox's
 * bridge accepts nothing else.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostAllowlist } from './allowlist.js';

/** Who a connection to the proxy came from. */
export interface SandboxIdentity {
  /** The container's name. */
  container: string;
  /** The session it serves, when it serves one. */
  session?: string;
}

/** A connection the proxy refused. */
export interface EgressRefusal {
  /** The sandbox, or undefined when the source is not a sandbox container. */
  sandbox: SandboxIdentity | undefined;
  /** The source address. */
  address: string;
  /** The `host:port` asked for. */
  target: string;
  reason: string;
}

export interface ForwardProxyOptions {
  allowlist: HostAllowlist;
  /** The sandbox a source address belongs to, or undefined for anything else (refused). */
  identify: (address: string) => Promise<SandboxIdentity | undefined>;
  /** Called for every refused connection. */
  onRefused: (refusal: EgressRefusal) => void;
  /** Fixed addresses for host names, as /etc/hosts would give them (for an internal mirror, and tests); others are resolved by DNS here. */
  hostAddresses?: Record<string, string>;
  /** How the operator allows a host, for the refusal's message (default: the `--registry-host` flag). */
  howToAllow?: (host: string) => string;
}

const CONNECT_TIMEOUT_MS = 15_000;
/** Request headers meant for the proxy itself or for one hop only. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade'];

export class ForwardProxy {
  readonly server: Server;
  readonly #options: ForwardProxyOptions;
  readonly #sockets = new Set<Duplex>();

  constructor(options: ForwardProxyOptions) {
    this.#options = options;
    this.server = createServer((req, res) => void this.#forward(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#tunnel(req, socket, head));
    this.server.on('connection', (socket: Socket) => this.#track(socket));
  }

  /** Listens on `host:port` (0 picks a free port); resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as { port: number }).port;
  }

  /** Stops listening and cuts every connection and tunnel. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** HTTPS (and anything else over TCP): `CONNECT host:port`, then bytes both ways. */
  async #tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    const target = parseAuthority(req.url ?? '');
    const allowed = await this.#check(client, target ? `${target.host}:${target.port}` : (req.url ?? ''), target);
    if (allowed !== true) {
      client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(allowed)}\r\nConnection: close\r\n\r\n${allowed}`);
      return;
    }
    const upstream = this.#connect(target!.host, target!.port);
    let established = false;
    upstream.once('connect', () => {
      established = true;
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      // pipe() pauses the faster side while the slower one drains (backpressure both ways).
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (established) client.destroy();
      else client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ncode-sandbox egress proxy: ${target!.host}:${target!.port} did not answer.\n`);
    });
    client.on('close', () => upstream.destroy());
  }

  /** Plain HTTP: a request with an absolute URI, forwarded as it is. */
  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? '');
    } catch {
      // not absolute: someone spoke to the proxy as if it were a web server
    }
    const target = url?.protocol === 'http:' ? { host: url.hostname, port: Number(url.port || 80) } : undefined;
    const allowed = await this.#check(req.socket, target ? `${target.host}:${target.port}` : (req.url ?? ''), target);
    if (allowed !== true) {
      res.writeHead(target || !url ? 403 : 400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(allowed);
      return;
    }
    const headers = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    const upstream = httpRequest({
      method: req.method,
      path: `${url!.pathname}${url!.search}`,
      headers,
      createConnection: () => this.#connect(target!.host, target!.port),
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502, { connection: 'close' }).end('code-sandbox egress proxy: the host did not answer.\n')));
    req.pipe(upstream);
  }

  /** True when the connection may go on, else the refusal's message (logged). */
  async #check(socket: Duplex, target: string, parsed: { host: string; port: number } | undefined): Promise<true | string> {
    const address = normaliseAddress((socket as Socket).remoteAddress ?? '');
    const sandbox = await this.#options.identify(address).catch(() => undefined);
    let reason: string | undefined;
    if (!sandbox) reason = 'the source is not a sandbox';
    else if (!parsed) reason = 'not a host:port the proxy understands';
    else if (!this.#options.allowlist.allows(parsed.host, parsed.port)) reason = 'not in the egress allowlist';
    if (!reason) return true;
    this.#options.onRefused({ sandbox, address, target, reason });
    const host = parsed?.host ?? target;
    const howToAllow = this.#options.howToAllow?.(host) ?? `start the server with --registry-host ${host}`;
    return `code-sandbox: this sandbox may not reach ${target} (${reason}). Sandboxes on this server reach only package registries. ` + `If the example needs ${host}, the server's operator can allow it: ${howToAllow}.\n`;
  }

  #connect(host: string, port: number): Socket {
    const fixed = this.#options.hostAddresses?.[host.toLowerCase()];
    const socket = connect({ host: fixed ?? host, port });
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`connecting to ${host}:${port} timed out`)));
    this.#track(socket);
    return socket;
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }
}

/** `host:port` (or `[v6]:port`) of a CONNECT request, or undefined. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/i.exec(authority);
  if (!match) return undefined;
  const port = Number(match[3]);
  return port >= 1 && port <= 65535 ? { host: match[1] ?? match[2]!, port } : undefined;
}

/** `::ffff:172.18.0.2` as `172.18.0.2`. */
function normaliseAddress(address: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  return mapped && isIP(mapped) === 4 ? mapped : address;
}
