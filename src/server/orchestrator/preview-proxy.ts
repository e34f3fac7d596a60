/**
 * Preview routing by Host header: `<session>-<port>.<preview host>` goes to that
 * session's sandbox port, any port it listens on, through the sandbox's agent.
 * Every preview is its own origin (never a path prefix, which breaks dev
 * servers' absolute URLs, and never the host page's).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A parsed preview host. */
export interface PreviewTarget {
  session: string;
  port: number;
}

/**
 * Matches `Host` against the preview host suffix (e.g. `localhost:8787` or
 * `example-preview.com`); `undefined` when it is not a preview host.
 */
export function parsePreviewHost(host: string | undefined, suffix: string): PreviewTarget | undefined {
  if (!host) return undefined;
  const lower = host.toLowerCase();
  if (!lower.endsWith(`.${suffix}`)) return undefined;
  const match = /^([a-z0-9]{4,64})-(\d{1,5})$/.exec(lower.slice(0, -suffix.length - 1));
  if (!match) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { session: match[1]!, port } : undefined;
}

/**
 * The preview URL template (`{session}` and `{port}`) and the host suffix that
 * routes a request back to a preview. Set once the listening port is known.
 */
export class PreviewHosts {
  #template = '';
  #suffix = '';

  /** The template, e.g. `http://{session}-{port}.localhost:8787/` (empty until `configure`). */
  get template(): string {
    return this.#template;
  }

  /** Sets the template: `previewUrl`, else `{session}-{port}.localhost` on the listening port. */
  configure(previewUrl: string | undefined, port: number): void {
    this.#template = previewUrl ?? `http://{session}-{port}.localhost:${port}/`;
    this.#suffix = new URL(this.#template.replace('{session}-{port}', 'preview-1')).host.slice('preview-1.'.length);
  }

  /** The preview URL of `port` in `session`. */
  url(session: string, port: number): string {
    return this.#template.replace('{session}', session).replace('{port}', String(port));
  }

  /** The session and port a request's `Host` names, or `undefined` when it is not a preview host. */
  target(host: string | undefined): PreviewTarget | undefined {
    return this.#suffix ? parsePreviewHost(host, this.#suffix) : undefined;
  }
}

/**
 * Headers that let a preview render in a frame of a cross-origin isolated page
 * (COEP require-corp blocks cross-origin frames that do not opt in). Chromium and
 * Firefox get `credentialless`, which keeps the preview's own cross-origin
 * scripts and images loading (without credentials); WebKit knows only
 * `require-corp`, so there those need CORP headers. A dev server's own values win.
 */
function embeddable(userAgent: string | undefined): Record<string, string> {
  const webkitOnly = /AppleWebKit/.test(userAgent ?? '') && !/Chrome|Chromium|Edg/.test(userAgent ?? '');
  return {
    'cross-origin-embedder-policy': webkitOnly ? 'require-corp' : 'credentialless',
    'cross-origin-resource-policy': 'cross-origin',
    vary: 'User-Agent',
  };
}

/** Opens a connection to the previewed port inside the sandbox (through its agent). */
export type ConnectToSandbox = () => Promise<Duplex>;

/**
 * The headers a dev server sees: `Host` as if the browser had asked
 * `localhost:PORT` itself, and `Origin` to match when the request comes from the
 * preview's own origin (a WebSocket for HMR, a form post), so host and origin
 * checks (Vite's allowedHosts, webpack-dev-server's, CSRF guards) pass on any
 * preview domain. The host the browser used travels as `X-Forwarded-Host`.
 */
function upstreamHeaders(req: IncomingMessage, port: number): Record<string, string | string[] | undefined> {
  const local = `localhost:${port}`;
  const origin = req.headers.origin;
  const sameOrigin = origin !== undefined && URL.canParse(origin) && new URL(origin).host === req.headers.host?.toLowerCase();
  return {
    ...req.headers,
    host: local,
    ...(sameOrigin && { origin: `http://${local}` }),
    'x-forwarded-host': req.headers.host ?? '',
    'x-forwarded-proto': 'http',
  };
}

/** Proxies one HTTP request to `port` in the sandbox. */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, port: number, connectToSandbox: ConnectToSandbox): void {
  const upstream = httpRequest(
    {
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req, port),
      // One forwarded connection per request: the agent opens it inside the sandbox.
      createConnection: (_options, created) => {
        connectToSandbox().then((socket) => created(null, socket), (error: Error) => created(error, undefined as unknown as Duplex));
        return undefined;
      },
    },
    (response) => {
      res.writeHead(response.statusCode ?? 502, response.statusMessage, { ...embeddable(req.headers['user-agent']), ...response.headers });
      response.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Nothing answers on port ${port} in the sandbox yet. Start the dev server, then reload.`);
    } else {
      res.destroy();
    }
  });
  req.pipe(upstream);
}

/** Proxies a WebSocket upgrade (HMR) by replaying the request head, Host and Origin rewritten, and piping both ways. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, port: number, connectToSandbox: ConnectToSandbox): void {
  socket.pause();
  connectToSandbox().then(
    (upstream) => {
      const headers = upstreamHeaders(req, port);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        const lower = name.toLowerCase();
        if (lower === 'host' || lower === 'origin' || lower.startsWith('x-forwarded-')) continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      for (const name of ['host', 'origin', 'x-forwarded-host', 'x-forwarded-proto']) if (headers[name]) lines.push(`${name}: ${String(headers[name])}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      const close = () => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.on('error', close);
      socket.on('error', close);
      upstream.on('close', close);
      socket.on('close', close);
      upstream.pipe(socket).pipe(upstream);
      socket.resume();
    },
    () => socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nNothing answers on this port in the sandbox.'),
  );
}
