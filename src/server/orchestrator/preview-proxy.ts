/**
 * Preview routing by Host header: `<session>-<port>.<preview host>` goes to that
 * session's container port. Every preview is its own origin (never a path
 * prefix, which breaks dev servers' absolute URLs, and never the host page's).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Endpoint } from '../local-engine/local-container-engine.js';

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

/** Proxies one HTTP request to the sandbox's `endpoint`, keeping the Host the browser sent. */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
  const upstream = httpRequest(
    {
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, 'x-forwarded-host': req.headers.host ?? '', 'x-forwarded-proto': 'http' },
    },
    (response) => {
      res.writeHead(response.statusCode ?? 502, response.statusMessage, { ...embeddable(req.headers['user-agent']), ...response.headers });
      response.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Nothing answers on this port in the sandbox yet. Start the dev server, then reload.');
    } else {
      res.destroy();
    }
  });
  req.pipe(upstream);
}

/** Proxies a WebSocket upgrade (HMR) by replaying the request head and piping both ways. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, endpoint: Endpoint): void {
  const upstream = connect(endpoint.port, endpoint.host, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
}
