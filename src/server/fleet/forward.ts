/**
 * Passing a request or a WebSocket upgrade on to another server, streamed
 * both ways: bodies are piped (never buffered whole), so a slow reader slows
 * the sandbox's output and a slow owner slows the upload, as without the hop.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A hop that gets no connection within this long finds its target gone. */
const CONNECT_TIMEOUT_MS = 3_000;
/** Headers that belong to one connection, not to the request (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

/** Called when the target cannot be reached (nothing was sent to the reader yet). */
export type Unreachable = (error: Error) => void;

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** Passes `req` to `target` (a base URL) with `extra` headers, and its answer back to `res`. */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, target: URL, extra: Record<string, string>, unreachable: Unreachable): void {
  const upstream = httpRequest({
    agent,
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port || 80,
    method: req.method,
    path: req.url,
    headers: { ...withoutHopByHop(req.headers), ...extra },
  });
  upstream.on('socket', (socket: Socket) => guardConnect(socket, () => upstream.destroy(new Error(`no connection to ${target.host} within ${CONNECT_TIMEOUT_MS} ms`))));
  upstream.on('response', (response) => {
    res.writeHead(response.statusCode ?? 502, response.statusMessage, withoutHopByHop(response.headers));
    response.pipe(res);
    response.on('error', () => res.destroy());
  });
  upstream.on('error', (error) => {
    if (res.headersSent) res.destroy();
    else unreachable(error);
  });
  // The reader went away: stop the owner's side too (a long preview response, say).
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  // A request already read to its end (a retry on another server) has nothing more to pipe.
  if (req.readableEnded) upstream.end();
  else req.pipe(upstream);
}

/**
 * Passes a WebSocket upgrade to `target`: replays the request head (with
 * `extra` headers) on a new connection and pipes both ways; the owner's
 * answer (101, or a refusal) reaches the reader as it is.
 */
export function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL, extra: Record<string, string>, unreachable: Unreachable): void {
  socket.pause();
  const upstream = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 80) });
  guardConnect(upstream, () => upstream.destroy(new Error(`no connection to ${target.host} within ${CONNECT_TIMEOUT_MS} ms`)));
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    for (const [name, value] of Object.entries(extra)) lines.push(`${name}: ${value}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
    socket.resume();
  });
  const close = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', (error) => {
    if (connected) close();
    else unreachable(error);
  });
  upstream.on('close', () => connected && close());
  socket.on('error', close);
  socket.on('close', () => upstream.destroy());
}

/** Destroys a connection still connecting after CONNECT_TIMEOUT_MS (a host that vanished drops packets, nothing refuses). */
function guardConnect(socket: Socket, expire: () => void): void {
  if (!socket.connecting) return;
  const timer = setTimeout(expire, CONNECT_TIMEOUT_MS);
  timer.unref();
  socket.once('connect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}
