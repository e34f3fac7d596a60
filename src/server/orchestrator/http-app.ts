/**
 * The orchestrator's HTTP app, on fastify: front doors first (the preview
 * proxy, before any routing or body parsing), then CORS (@fastify/cors), the
 * session API with its body limit and per-address create limit
 * (@fastify/rate-limit) and the session WebSocket (@fastify/websocket). Routes
 * are in `session-routes.ts`; the sessions themselves live in the registry.
 * This file only assembles the HTTP side.
 */
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { WebSocketServer } from 'ws';
import { frontDoorServer, type FrontDoor } from './front-doors.js';
import { errorAnswer, HttpError } from './http-errors.js';
import { isUpgrade, sessionRoutes, type HttpAppContext } from './session-routes.js';

export type { CreatedSession, HealthFigures, HttpAppContext } from './session-routes.js';

/** The largest request body the API reads: a create request is `{"template": "node"}`. */
export const MAX_BODY = 4096;

/** The HTTP app: its server, its WebSocket server (for the heartbeat, once listening), and its lifecycle. */
export interface HttpApp {
  server: Server;
  websockets: WebSocketServer;
  listen(port: number, host: string): Promise<void>;
  close(): Promise<void>;
}

/** Builds the app; `frontDoors` are tried in order before it, for requests and upgrades alike. */
export function createHttpApp(context: HttpAppContext, frontDoors: readonly FrontDoor[]): HttpApp {
  const { config } = context;
  // Upgrades no front door took are re-emitted here, where @fastify/websocket routes them.
  const upgrades = new EventEmitter();
  const app = Fastify({
    serverFactory: (handler) => frontDoorServer(frontDoors, handler, upgrades, config.log),
    bodyLimit: MAX_BODY,
    forceCloseConnections: true,
    // While closing, the registry answers (503 UNAVAILABLE, in the API's own error shape).
    return503OnClosing: false,
  });
  // No answer of the API is cached: tokens, session states and health change.
  app.addHook('onRequest', async (_request, reply) => void reply.header('cache-control', 'no-store'));
  app.register(cors, {
    origin: true,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    // Error bodies are readable cross-origin (a page shows why it was refused), and when to try again.
    exposedHeaders: ['retry-after'],
    maxAge: 600,
    strictPreflight: false,
  });
  app.register(rateLimit, { global: false, addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false } });
  app.register(websocket, { options: { maxPayload: config.limits.maxMessageBytes, server: upgrades as unknown as Server } });
  parseJsonObjects(app);
  answerErrors(app, config.log);
  app.register(sessionRoutes(context));
  return {
    server: app.server,
    get websockets() {
      return app.websocketServer;
    },
    listen: async (port, host) => void (await app.listen({ port, host })),
    // Sockets are ended at once (their sessions are already torn down); the plugin is loaded only once listening.
    close: async () => {
      for (const ws of app.websocketServer?.clients ?? []) ws.terminate();
      await app.close();
    },
  };
}

/** Every body is read as JSON (whatever its content type), up to MAX_BODY; none is `{}`. */
function parseJsonObjects(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, text, done) => {
    if (!(text as string).trim()) return done(null, {});
    try {
      const body: unknown = JSON.parse(text as string);
      if (body && typeof body === 'object' && !Array.isArray(body)) return done(null, body);
    } catch {
      // reported below
    }
    done(new HttpError(400, 'BAD_REQUEST', 'The request body must be a JSON object, such as {"template": "node"}.'), undefined);
  });
}

/** Errors answer `{ error: { code, message } }`; fastify's own (a body too large, say) become clear 400s. */
function answerErrors(app: FastifyInstance, log: (line: string) => void): void {
  app.setErrorHandler((error: FastifyError | HttpError, _request, reply) => {
    const { status, headers, body } = errorAnswer(clientError(error), log);
    return reply.code(status).headers(headers).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const message = isUpgrade(request.raw)
      ? 'WebSockets are served at /sessions/:id/ws.'
      : `No route for ${request.method} ${path}. The API is POST /sessions, GET|DELETE /sessions/:id, GET /healthz.`;
    const { status, body } = errorAnswer(new HttpError(404, 'NOT_FOUND', message), log);
    return reply.code(status).send(body);
  });
}

/** Fastify's client errors (4xx) as HttpErrors; anything else is left as it is. */
function clientError(error: FastifyError | HttpError): unknown {
  if (error instanceof HttpError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError(400, 'BAD_REQUEST', `The request body is larger than ${MAX_BODY / 1024} KiB.`);
  const status = error.statusCode ?? 500;
  return status >= 400 && status < 500 ? new HttpError(status, 'BAD_REQUEST', error.message) : error;
}
