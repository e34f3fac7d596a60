/**
 * The session API's routes: `POST /sessions`, `GET|DELETE /sessions/:id`, the
 * session WebSocket at `/sessions/:id/ws`, and `GET /healthz`. Each API route
 * checks the page's Origin against the allow-list; creating a session also
 * checks the API key, then the per-address rate limit (a valid key skips it).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import { quotaKey } from './origin-quotas.js';
import type { ResolvedOptions } from './options.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import { attachSocket } from './session-socket.js';
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

/** `/healthz`'s figures: whether Docker answers (the server is not ok without it), and whatever else the orchestrator reports. */
export type HealthFigures = { docker: 'up' | 'unreachable' } & Record<string, unknown>;

/** What the HTTP app serves from. */
export interface HttpAppContext {
  config: ResolvedOptions;
  registry: SessionRegistry;
  signer: TokenSigner;
  health: () => Promise<HealthFigures>;
  /** The base URL clients reach this server at (for `websocketUrl`). */
  publicUrl: () => string;
}

const ID = ':id(^[a-z0-9]{4,64}$)';
type WithId = { Params: { id: string } };

/** The routes, as a fastify plugin. */
export function sessionRoutes(context: HttpAppContext) {
  const { config, registry, signer } = context;
  const api = [allowedOrigin(config), noUpgrade];
  const session = (request: FastifyRequest<WithId>): Session => authorized(context, request.params.id, bearer(request.raw));
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', async (_request, reply) => {
      const figures = await context.health();
      const ok = !registry.closing && figures.docker === 'up';
      return reply.code(ok ? 200 : 503).send({ ok, ...figures, sessions: registry.sessions.size });
    });
    // Whether this server takes new sessions: a load balancer skips a full one (503 + Retry-After).
    app.get('/readyz', async (_request, reply) => {
      const { sessions, limit } = registry.capacity;
      const ready = !registry.closing && sessions < limit;
      if (!ready) reply.header('retry-after', '10');
      return reply.code(ready ? 200 : 503).send({ ready, capacity: { sessions, limit } });
    });
    app.post('/sessions', { onRequest: [...api, createAllowed(context)], config: { rateLimit: createLimit(config) } }, async (request, reply) => {
      return reply.code(201).send(await createSession(context, request));
    });
    app.get<WithId>(`/sessions/${ID}`, { onRequest: api }, async (request) => describe(config, session(request)));
    app.delete<WithId>(`/sessions/${ID}`, { onRequest: api }, async (request, reply) => {
      await registry.end(session(request), 'Deleted by the client.');
      return reply.code(204).send();
    });
    app.route<WithId & { Querystring: { token?: string } }>({
      method: 'GET',
      url: `/sessions/${ID}/ws`,
      onRequest: allowedOrigin(config),
      handler: (request) => {
        throw new HttpError(404, 'NOT_FOUND', `No route for GET ${request.url.split('?')[0]} without a WebSocket upgrade.`);
      },
      wsHandler: (ws, request) => attachSocket(registry, signer, ws, request.params.id, request.query.token),
    });
  };
}

async function createSession(context: HttpAppContext, request: FastifyRequest): Promise<CreatedSession> {
  const { config, registry, signer } = context;
  const template = templateOf(request.body as Record<string, unknown> | undefined);
  const session = await registry.create(request.ip, template, quotaKey(request.headers.origin, keyed(config, request)));
  const { token, expiresAt } = signer.issue(session.id);
  const { idleTimeout, maxLifetime } = config.limits;
  const websocketUrl = `${context.publicUrl().replace(/^http/, 'ws')}/sessions/${session.id}/ws`;
  return { id: session.id, token, expiresAt, websocketUrl, idleTimeout, maxLifetime };
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

/** The Origin allow-list (a request without Origin is not a page's, and passes). */
function allowedOrigin(config: ResolvedOptions) {
  return async (request: FastifyRequest): Promise<void> => {
    const origin = request.headers.origin;
    if (origin === undefined || config.allowedOrigins.includes('*') || config.allowedOrigins.includes(origin)) return;
    throw new HttpError(403, 'FORBIDDEN_ORIGIN', `This sandbox server does not accept pages from ${origin}. Its operator can allow it with --allow-origin ${origin}.`);
  };
}

/** An upgrade to an API route (not a session's socket) is refused before anything upgrades. */
async function noUpgrade(request: FastifyRequest): Promise<void> {
  if (isUpgrade(request.raw)) throw new HttpError(404, 'NOT_FOUND', 'WebSockets are served at /sessions/:id/ws.');
}

/** Before the rate limit: the server still takes sessions, and the API key (if any) is valid, or one is not required. */
/** Whether the request carries one of the server's API keys (server-to-server: no rate limit, no site quota). */
function keyed(config: ResolvedOptions, request: FastifyRequest): boolean {
  return config.apiKeys.includes(bearer(request.raw) ?? '');
}

function createAllowed({ config, registry }: HttpAppContext) {
  return async (request: FastifyRequest): Promise<void> => {
    registry.assertOpen();
    const key = bearer(request.raw);
    if (key !== undefined && !keyed(config, request)) throw new HttpError(401, 'UNAUTHORIZED', 'The API key is not valid for this server.');
    if (config.requireApiKey && !keyed(config, request)) throw new HttpError(401, 'UNAUTHORIZED', 'This server requires an API key to create sessions (Authorization: Bearer <key>).');
  };
}

/**
 * Creates per address: `createsPerMinute` in a window of a minute that starts
 * at the address's first create; Retry-After is what is left of that window.
 * Requests with a valid API key are not counted.
 */
function createLimit(config: ResolvedOptions) {
  const perMinute = config.limits.createsPerMinute;
  return {
    max: perMinute,
    timeWindow: 60_000,
    allowList: (request: FastifyRequest) => keyed(config, request),
    errorResponseBuilder: (_request: FastifyRequest, { ttl }: { ttl: number }) =>
      new HttpError(429, 'RATE_LIMITED', `Too many sandboxes started from your address (limit ${perMinute} a minute); run again in ${Math.ceil(ttl / 1000)} s.`),
  };
}

/** Whether this request came in as an upgrade (a WebSocket handshake). */
export function isUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.toLowerCase() === 'websocket';
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function templateOf(body: Record<string, unknown> = {}): string | undefined {
  const template = body['template'];
  if (template !== undefined && (typeof template !== 'string' || template.length > 64)) {
    throw new HttpError(400, 'BAD_REQUEST', '"template" must be a short string such as "node" or "python".');
  }
  return template;
}
