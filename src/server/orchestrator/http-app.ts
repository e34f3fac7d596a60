/**
 * The orchestrator's HTTP app: the session API (`POST /sessions`, `GET|DELETE
 * /sessions/:id`, `GET /healthz`) with its CORS, body parsing and rate limit;
 * the session WebSocket (`/sessions/:id/ws`); and preview hosts, handed to the
 * preview proxy before any route. The sessions themselves live in the
 * registry; this file only speaks HTTP.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FrontDoor } from '../fleet/front-door.js';
import { CLOSE } from '../../protocol/messages.js';
import { HttpError, sendError, sendJson } from './http-errors.js';
import type { ResolvedOptions } from './options.js';
import { proxyHttp, proxyUpgrade, type PreviewHosts } from './preview-proxy.js';
import { RateLimiter } from './rate-limit.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import { TOKEN_MESSAGES, type TokenSigner } from './tokens.js';

/** What `POST /sessions` answers. */
export interface CreatedSession {
  id: string;
  token: string;
  expiresAt: number;
  websocketUrl: string;
  idleTimeout: number;
  maxLifetime: number;
}

/** What the HTTP app serves from. */
export interface HttpAppContext {
  config: ResolvedOptions;
  registry: SessionRegistry;
  signer: TokenSigner;
  previews: PreviewHosts;
  /** `/healthz`'s figures: whether Docker answers, the warm containers, and more (the fleet's owner id and capacity). */
  health: () => Promise<{ docker: boolean; warm: number } & Record<string, unknown>>;
  /** The base URL clients reach this server at (for `websocketUrl`). */
  publicUrl: () => string;
  /** Tried before any route (the fleet's: requests for sessions other servers own). */
  frontDoor?: FrontDoor;
}

/** The HTTP server and its WebSocket server (for the heartbeat and for closing). */
export interface HttpApp {
  server: Server;
  websockets: WebSocketServer;
}

const SESSION_PATH = /^\/sessions\/([a-z0-9]{4,64})(\/ws)?$/;
const MAX_BODY = 4096;

export function createHttpApp(context: HttpAppContext): HttpApp {
  const rateLimiter = new RateLimiter(context.config.limits.createsPerMinute);
  const server = createServer((req, res) => {
    if (context.frontDoor?.request(req, res)) return;
    route(context, rateLimiter, req, res).catch((error: unknown) => sendError(res, error, context.config.log));
  });
  const websockets = new WebSocketServer({ noServer: true, maxPayload: context.config.limits.maxMessageBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => context.frontDoor?.upgrade(req, socket, head) || upgrade(context, websockets, req, socket, head));
  return { server, websockets };
}

async function route(context: HttpAppContext, rateLimiter: RateLimiter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, registry, previews } = context;
  const preview = previews.target(req.headers.host);
  if (preview) {
    const session = registry.sessions.get(preview.session);
    if (!session) throw new HttpError(404, 'NOT_FOUND', `No sandbox session ${preview.session} here. The session may have ended; run the example again.`);
    proxyHttp(req, res, preview.port, () => session.engine.connect(preview.port));
    return;
  }
  if (cors(req, res)) return;
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz' && req.method === 'GET') {
    const { docker, ...figures } = await context.health();
    const ok = !registry.closing && docker;
    sendJson(res, ok ? 200 : 503, { ok, docker: docker ? 'up' : 'unreachable', ...figures, sessions: registry.sessions.size });
    return;
  }
  const origin = req.headers.origin;
  if (!originAllowed(config, origin)) {
    throw new HttpError(403, 'FORBIDDEN_ORIGIN', `This sandbox server does not accept pages from ${origin}. Its operator can allow it with --allow-origin ${origin}.`);
  }
  if (path === '/sessions' && req.method === 'POST') {
    sendJson(res, 201, await createSession(context, rateLimiter, req));
    return;
  }
  const match = SESSION_PATH.exec(path);
  if (match && !match[2] && (req.method === 'GET' || req.method === 'DELETE')) {
    const session = authorized(context, match[1]!, bearer(req));
    if (req.method === 'GET') sendJson(res, 200, describe(config, session));
    else {
      await registry.end(session, 'Deleted by the client.');
      res.writeHead(204).end();
    }
    return;
  }
  throw new HttpError(404, 'NOT_FOUND', `No route for ${req.method} ${path}. The API is POST /sessions, GET|DELETE /sessions/:id, GET /healthz.`);
}

function describe(config: ResolvedOptions, session: Session): object {
  const { id, engine, connected, createdAt } = session;
  return { id, status: engine.status, connected, createdAt, expiresAt: createdAt + config.limits.maxLifetime };
}

function authorized(context: HttpAppContext, id: string, token: string | undefined): Session {
  const problem = context.signer.check(token, id);
  if (problem) throw new HttpError(401, 'UNAUTHORIZED', TOKEN_MESSAGES[problem]);
  const session = context.registry.sessions.get(id);
  if (!session) throw new HttpError(404, 'NOT_FOUND', 'This session has ended. Create a new one.');
  return session;
}

async function createSession(context: HttpAppContext, rateLimiter: RateLimiter, req: IncomingMessage): Promise<CreatedSession> {
  const { config, registry } = context;
  registry.assertOpen();
  const keyed = apiKeyOf(config, bearer(req));
  const address = req.socket.remoteAddress ?? 'unknown';
  if (!keyed && !rateLimiter.take(address)) {
    throw new HttpError(429, 'RATE_LIMITED', `Too many sandboxes started from your address (limit ${config.limits.createsPerMinute} a minute); wait a moment and run again.`, { 'retry-after': '10' });
  }
  const session = await registry.create(address, templateOf(await readBody(req)));
  const { token, expiresAt } = context.signer.issue(session.id);
  const { idleTimeout, maxLifetime } = config.limits;
  const websocketUrl = `${context.publicUrl().replace(/^http/, 'ws')}/sessions/${session.id}/ws`;
  return { id: session.id, token, expiresAt, websocketUrl, idleTimeout, maxLifetime };
}

/** A WebSocket upgrade: a preview's (HMR, say), proxied to the sandbox, or a session's. */
function upgrade(context: HttpAppContext, websockets: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => undefined);
  const preview = context.previews.target(req.headers.host);
  if (preview) {
    const session = context.registry.sessions.get(preview.session);
    if (!session) refuseUpgrade(socket, 404, 'No sandbox session serves this port.');
    else proxyUpgrade(req, socket, head, preview.port, () => session.engine.connect(preview.port));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = SESSION_PATH.exec(url.pathname);
  if (!match?.[2]) return refuseUpgrade(socket, 404, 'WebSockets are served at /sessions/:id/ws.');
  if (!originAllowed(context.config, req.headers.origin)) return refuseUpgrade(socket, 403, `Origin ${req.headers.origin} is not allowed.`);
  websockets.handleUpgrade(req, socket, head, (ws) => attach(context, ws, match[1]!, url.searchParams.get('token')));
}

function attach(context: HttpAppContext, ws: WebSocket, id: string, token: string | null): void {
  const problem = context.signer.check(token, id);
  if (problem) return ws.close(CLOSE.unauthorized, TOKEN_MESSAGES[problem].slice(0, 120));
  const session = context.registry.sessions.get(id);
  if (!session) return ws.close(CLOSE.sessionEnded, 'This session has ended. Create a new one.');
  watchLiveness(ws);
  session.attach(ws);
  void session.thaw();
}

/**
 * CORS: error bodies are readable cross-origin so a page can show why it was
 * refused (and `Retry-After`, so it knows when to try again); nothing else is.
 * Answers a preflight itself (true when it did).
 */
function cors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'retry-after');
  }
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, DELETE',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

function originAllowed(config: ResolvedOptions, origin: string | undefined): boolean {
  return origin === undefined || config.allowedOrigins.includes('*') || config.allowedOrigins.includes(origin);
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** Whether the request carries a valid API key; throws when it carries an invalid one, or none where one is required. */
function apiKeyOf(config: ResolvedOptions, key: string | undefined): boolean {
  const keyed = key !== undefined && config.apiKeys.includes(key);
  if (key !== undefined && !keyed) throw new HttpError(401, 'UNAUTHORIZED', 'The API key is not valid for this server.');
  if (config.requireApiKey && !keyed) throw new HttpError(401, 'UNAUTHORIZED', 'This server requires an API key to create sessions (Authorization: Bearer <key>).');
  return keyed;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY) throw new HttpError(400, 'BAD_REQUEST', 'The request body is larger than 4 KiB.');
  }
  if (!text.trim()) return {};
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new HttpError(400, 'BAD_REQUEST', 'The request body must be a JSON object, such as {"template": "node"}.');
}

function templateOf(body: Record<string, unknown>): string | undefined {
  const template = body['template'];
  if (template !== undefined && (typeof template !== 'string' || template.length > 64)) {
    throw new HttpError(400, 'BAD_REQUEST', '"template" must be a short string such as "node" or "python".');
  }
  return template;
}

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${message}`);
}

/** Dead peers: the heartbeat terminates a socket that missed a ping's pong; its session then idles out. */
type Watched = WebSocket & { alive?: boolean };

function watchLiveness(ws: Watched): void {
  ws.alive = true;
  ws.on('pong', () => (ws.alive = true));
}

/** One heartbeat over every socket (every 30 s). */
export function heartbeat(websockets: WebSocketServer): void {
  for (const ws of websockets.clients as Set<Watched>) {
    if (ws.alive === false) ws.terminate();
    else {
      ws.alive = false;
      ws.ping();
    }
  }
}
