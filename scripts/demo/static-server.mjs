// The demo's static server (node:http, no dependencies): serves demo/ at / and
// the CDN build at /dist/cdn/, and writes the orchestrator's URL into pages
// where they say %ORCHESTRATOR_URL% (an author would write their server's URL).
// `?coi` on a page adds COOP/COEP, so the page is cross-origin isolated and
// `auto` may pick the in-browser engine; without it the page is like most blogs.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * A static server. `mounts` maps URL prefixes to directories (longest first
 * wins); `substitutions` replaces `%NAME%` in HTML files.
 */
export function createStaticServer({ mounts, substitutions = {} }) {
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)])
    .sort(([a], [b]) => b.length - a.length);

  async function locate(pathname) {
    const mount = table.find(([prefix]) => pathname.startsWith(prefix));
    if (!mount) return undefined;
    const [prefix, root] = mount;
    let file = resolve(join(root, decodeURIComponent(pathname.slice(prefix.length))));
    if (file !== root && !file.startsWith(root + sep)) return undefined; // ../ out of the mount
    const info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) file = join(file, 'index.html');
    else if (!info) return undefined;
    return file;
  }

  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://demo');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const file = await locate(url.pathname);
      const body = file && (await readFile(file).catch(() => undefined));
      if (!body) {
        res.writeHead(404, { 'content-type': TYPES['.txt'] }).end(`Not found: ${url.pathname}\n`);
        return;
      }
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const headers = { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
      let payload = body;
      if (type.startsWith('text/html')) {
        payload = Buffer.from(body.toString('utf8').replace(/%([A-Z_]+)%/g, (all, name) => substitutions[name] ?? all));
        if (url.searchParams.has('coi')) {
          headers['cross-origin-opener-policy'] = 'same-origin';
          headers['cross-origin-embedder-policy'] = 'require-corp';
        }
      }
      res.writeHead(200, { ...headers, 'content-length': payload.length });
      res.end(req.method === 'HEAD' ? undefined : payload);
    } catch (error) {
      res.writeHead(500, { 'content-type': TYPES['.txt'] }).end('Internal error; see the server log.\n');
      console.error('[demo] ', error);
    }
  });
}

/** Listens on `port` (0 picks a free one); resolves with the port. */
export function listen(server, port, host) {
  return new Promise((resolvePort, reject) => {
    server.once('error', (error) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is in use; set PORT (or ORCHESTRATOR_PORT) to another one.`) : error);
    });
    server.listen(port, host, () => resolvePort(server.address().port));
  });
}
