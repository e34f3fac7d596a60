/**
 * The orchestrator: an HTTP API to create sessions, one WebSocket per session
 * speaking the protocol, and preview routing by Host header. Each session owns
 * one LocalContainerEngine. `createOrchestrator` builds it; `listen()` and
 * `close()` are for tests and the CLI alike.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE } from '../../protocol/messages.js';
import { OWNER_LABEL } from '../local-engine/container-spec.js';
import { allowsPtrace, defaultSeccompProfile } from '../local-engine/seccomp.js';
import { LocalContainerEngine, type LocalContainerEngineOptions } from '../local-engine/local-container-engine.js';
import { ensureSandboxNetwork, SANDBOX_NETWORK } from '../local-engine/sandbox-network.js';
import { HttpError, sendError, sendJson } from './http-errors.js';
import { checkImages, resolveOptions, type OrchestratorOptions, type ResolvedOptions } from './options.js';
import { parsePreviewHost, proxyHttp, proxyUpgrade } from './preview-proxy.js';
import { RateLimiter } from './rate-limit.js';
import { newSessionId, Session } from './session.js';
import { TOKEN_MESSAGES, TokenSigner } from './tokens.js';
import { WarmPool } from './warm-pool.js';
import { DependencyCache } from './dependency-cache.js';

/** Every session's container is named after it, so operators can find it with `docker ps`. */
export function containerName(session: string): string {
  return `code-sandbox-${session}`;
}

/** What `POST /sessions` answers. */
export interface CreatedSession {
  id: string;
  token: string;
  expiresAt: number;
  websocketUrl: string;
  idleTimeout: number;
  maxLifetime: number;
}

/** A running (or ready to run) orchestrator. */
export interface Orchestrator {
  /** Starts listening (port 0 picks a free one); resolves with the base URL. Removes containers an earlier run left. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, tears every session down (their containers are removed), closes the server. */
  close(): Promise<void>;
  /** The base URL once listening. */
  readonly url: string | undefined;
  /** Live sessions, by id (read-only use: operators and tests). */
  readonly sessions: ReadonlyMap<string, Session>;
  /** The underlying HTTP server. */
  readonly server: Server;
}

const SESSION_PATH = /^\/sessions\/([a-z0-9]{4,64})(\/ws)?$/;

export function createOrchestrator(options: OrchestratorOptions = {}): Orchestrator {
  const config: ResolvedOptions = resolveOptions(options);
  const { limits, log } = config;
  const docker = config.docker ?? new Docker();
  const signer = new TokenSigner(config.secret, config.tokenTtl);
  const rateLimiter = new RateLimiter(limits.createsPerMinute);
  const sessions = new Map<string, Session>();
  let dockerUp = true;
  const seccompProfile = config.seccompProfile ?? defaultSeccompProfile();
  const pendingByAddress = new Map<string, number>();
  const lifetimes = new Map<string, NodeJS.Timeout>();
  const pool = new WarmPool(config.pool, engineOptions, log);
  const cache = config.dependencyCache ? new DependencyCache({ dir: config.dependencyCache, engineOptions, log }) : undefined;
  let pending = 0;
  let baseUrl: string | undefined;
  let previewTemplate = '';
  let previewSuffix = '';
  let shuttingDown = false;
  let timers: NodeJS.Timeout[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error, log));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head));

  function originAllowed(origin: string | undefined): boolean {
    return origin === undefined || config.allowedOrigins.includes('*') || config.allowedOrigins.includes(origin);
  }

  function bearer(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  }

  function addressOf(req: IncomingMessage): string {
    return req.socket.remoteAddress ?? 'unknown';
  }

  function previewUrl(session: string, port: number): string {
    return previewTemplate.replace('{session}', session).replace('{port}', String(port));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const preview = parsePreviewHost(req.headers.host, previewSuffix);
    if (preview) {
      const session = sessions.get(preview.session);
      if (!session) throw new HttpError(404, 'NOT_FOUND', `No sandbox session ${preview.session} here. The session may have ended; run the example again.`);
      proxyHttp(req, res, preview.port, () => session.engine.connect(preview.port));
      return;
    }
    const origin = req.headers.origin;
    // Error bodies are readable cross-origin so a page can show why it was refused; nothing else is.
    if (origin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', 'retry-after'); // so the page knows when to try again
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (path === '/healthz' && req.method === 'GET') {
      const docker = (await dockerAnswers()) ? 'up' : 'unreachable';
      const ok = !shuttingDown && docker === 'up';
      sendJson(res, ok ? 200 : 503, { ok, docker, sessions: sessions.size, warm: pool.total });
      return;
    }
    if (!originAllowed(origin)) {
      throw new HttpError(403, 'FORBIDDEN_ORIGIN', `This sandbox server does not accept pages from ${origin}. Its operator can allow it with --allow-origin ${origin}.`);
    }
    if (path === '/sessions' && req.method === 'POST') {
      sendJson(res, 201, await createSession(req));
      return;
    }
    const match = SESSION_PATH.exec(path);
    if (match && !match[2]) {
      const session = authorized(match[1]!, bearer(req));
      if (req.method === 'GET') {
        sendJson(res, 200, {
          id: session.id,
          status: session.engine.status,
          connected: session.connected,
          createdAt: session.createdAt,
          expiresAt: session.createdAt + limits.maxLifetime,
        });
        return;
      }
      if (req.method === 'DELETE') {
        await endSession(session, 'Deleted by the client.');
        res.writeHead(204).end();
        return;
      }
    }
    throw new HttpError(404, 'NOT_FOUND', `No route for ${req.method} ${path}. The API is POST /sessions, GET|DELETE /sessions/:id, GET /healthz.`);
  }

  function authorized(id: string, token: string | undefined): Session {
    const problem = signer.check(token, id);
    if (problem) throw new HttpError(401, 'UNAUTHORIZED', TOKEN_MESSAGES[problem]);
    const session = sessions.get(id);
    if (!session) throw new HttpError(404, 'NOT_FOUND', 'This session has ended. Create a new one.');
    return session;
  }

  async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > 4096) throw new HttpError(400, 'BAD_REQUEST', 'The request body is larger than 4 KiB.');
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

  async function createSession(req: IncomingMessage): Promise<CreatedSession> {
    if (shuttingDown) throw new HttpError(503, 'UNAVAILABLE', 'The sandbox server is shutting down; try again shortly.');
    const key = bearer(req);
    const keyed = key !== undefined && config.apiKeys.includes(key);
    if (key !== undefined && !keyed) throw new HttpError(401, 'UNAUTHORIZED', 'The API key is not valid for this server.');
    if (config.requireApiKey && !keyed) throw new HttpError(401, 'UNAUTHORIZED', 'This server requires an API key to create sessions (Authorization: Bearer <key>).');
    const address = addressOf(req);
    if (!keyed && !rateLimiter.take(address)) {
      throw new HttpError(429, 'RATE_LIMITED', `Too many sandboxes started from your address (limit ${limits.createsPerMinute} a minute); wait a moment and run again.`, { 'retry-after': '10' });
    }
    const body = await readBody(req);
    const template = body['template'];
    if (template !== undefined && (typeof template !== 'string' || template.length > 64)) {
      throw new HttpError(400, 'BAD_REQUEST', '"template" must be a short string such as "node" or "python".');
    }
    if (sessions.size + pending >= limits.sessions) {
      throw new HttpError(503, 'CAPACITY', `The sandbox server is at capacity (${limits.sessions} sessions); try again in a minute.`, { 'retry-after': '30' });
    }
    const mine = [...sessions.values()].filter((session) => session.address === address).length + (pendingByAddress.get(address) ?? 0);
    if (mine >= limits.sessionsPerAddress) {
      throw new HttpError(429, 'RATE_LIMITED', `Your address already has ${mine} sandboxes open (limit ${limits.sessionsPerAddress}); close one and run again.`);
    }
    pending++;
    pendingByAddress.set(address, (pendingByAddress.get(address) ?? 0) + 1);
    try {
      const id = newSessionId();
      const image = (template && config.images[template]) || config.image;
      const engine = await startEngine(image, containerName(id));
      if (shuttingDown) {
        await engine.teardown();
        throw new HttpError(503, 'UNAVAILABLE', 'The sandbox server is shutting down; try again shortly.');
      }
      const session = new Session(id, address, engine, {
        image,
        cache,
        signer,
        previewUrl,
        maxFileBytes: limits.maxFileBytes,
        outputBufferBytes: limits.outputBufferBytes,
        log,
      });
      sessions.set(id, session);
      const lifetime = setTimeout(() => void endSession(session, 'The session reached its maximum lifetime.'), limits.maxLifetime);
      lifetime.unref();
      lifetimes.set(id, lifetime);
      log(`session ${id} created for ${address} (${sessions.size} open)`);
      const { token, expiresAt } = signer.issue(id);
      return {
        id,
        token,
        expiresAt,
        websocketUrl: `${(config.publicUrl ?? baseUrl ?? '').replace(/^http/, 'ws')}/sessions/${id}/ws`,
        idleTimeout: limits.idleTimeout,
        maxLifetime: limits.maxLifetime,
      };
    } finally {
      pending--;
      const left = (pendingByAddress.get(address) ?? 1) - 1;
      if (left) pendingByAddress.set(address, left);
      else pendingByAddress.delete(address);
    }
  }

  function engineOptions(image: string): LocalContainerEngineOptions {
    return {
      image,
      docker,
      network: config.network,
      owner: config.owner,
      limits: { fileBytes: limits.maxFileBytes, ...config.sandboxLimits },
      ...(seccompProfile && { seccompProfile }),
    };
  }

  /**
   * A booted engine named `name`: from the warm pool when one is ready (a pooled
   * container that died meanwhile is discarded), else created now.
   */
  async function startEngine(image: string, name: string): Promise<LocalContainerEngine> {
    const pooled = pool.claim(image);
    if (pooled) {
      try {
        await pooled.rename(name);
        if (!(await pooled.isRunning())) throw new Error('its container has stopped');
        return pooled;
      } catch (error) {
        log(`warm pool: discarding a container that cannot be claimed: ${(error as Error).message}`);
        await pooled.teardown().catch(() => undefined);
      }
    }
    const engine = new LocalContainerEngine({ ...engineOptions(image), name });
    try {
      await engine.boot();
      return engine;
    } catch (error) {
      await engine.teardown().catch(() => undefined);
      log(`session create failed: ${(error as Error).message}`);
      throw new HttpError(503, 'UNAVAILABLE', 'The sandbox server cannot start a sandbox right now; try again later. (Its operator will find the cause in its log.)');
    }
  }

  async function endSession(session: Session, reason: string): Promise<void> {
    if (sessions.get(session.id) !== session) return;
    sessions.delete(session.id);
    clearTimeout(lifetimes.get(session.id));
    lifetimes.delete(session.id);
    await session.close(reason, shuttingDown ? CLOSE.shuttingDown : CLOSE.sessionEnded);
    log(`session ${session.id} ended: ${reason} (${sessions.size} open)`);
  }

  function refuseUpgrade(socket: Duplex, status: number, message: string): void {
    socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${message}`);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const preview = parsePreviewHost(req.headers.host, previewSuffix);
    if (preview) {
      const session = sessions.get(preview.session);
      if (!session) refuseUpgrade(socket, 404, 'No sandbox session serves this port.');
      else proxyUpgrade(req, socket, head, preview.port, () => session.engine.connect(preview.port));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = SESSION_PATH.exec(url.pathname);
    if (!match?.[2]) return refuseUpgrade(socket, 404, 'WebSockets are served at /sessions/:id/ws.');
    if (!originAllowed(req.headers.origin)) return refuseUpgrade(socket, 403, `Origin ${req.headers.origin} is not allowed.`);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const id = match[1]!;
      const problem = signer.check(url.searchParams.get('token'), id);
      if (problem) return ws.close(CLOSE.unauthorized, TOKEN_MESSAGES[problem].slice(0, 120));
      const session = sessions.get(id);
      if (!session) return ws.close(CLOSE.sessionEnded, 'This session has ended. Create a new one.');
      (ws as WebSocket & { alive?: boolean }).alive = true;
      ws.on('pong', () => ((ws as WebSocket & { alive?: boolean }).alive = true));
      session.attach(ws);
      void session.thaw();
    });
  }

  function startTimers(): void {
    const every = Math.min(Math.max(Math.min(limits.idleTimeout, limits.pauseAfter) / 4, 100), 10_000);
    const idle = setInterval(() => {
      const now = Date.now();
      for (const session of sessions.values()) {
        if (session.connected) continue;
        if (now - session.lastActivity > limits.idleTimeout) void endSession(session, 'Idle: no client connected.');
        else if (now - session.lastActivity > limits.pauseAfter) void session.freeze();
      }
    }, every);
    // Dead peers: a socket that missed a ping's pong is terminated; the session then idles out.
    const heartbeat = setInterval(() => {
      for (const ws of wss.clients as Set<WebSocket & { alive?: boolean }>) {
        if (ws.alive === false) ws.terminate();
        else {
          ws.alive = false;
          ws.ping();
        }
      }
    }, 30_000);
    const reconciling = setInterval(() => void reconcile(), 5_000);
    timers = [idle, heartbeat, reconciling];
    for (const timer of timers) timer.unref();
  }

  /** Whether the Docker daemon answers a ping within two seconds. */
  async function dockerAnswers(): Promise<boolean> {
    const timeout = new Promise<false>((resolve) => setTimeout(resolve, 2000, false).unref());
    return Promise.race([docker.ping().then(() => true, () => false), timeout]);
  }

  /**
   * Every few seconds: ends sessions whose container stopped under them (killed,
   * its init out of memory, Docker restarted), so their clients hear why instead
   * of meeting errors; removes stopped containers; tops up the warm pool; and says
   * when the Docker daemon goes away and comes back (then makes sure of the
   * sandbox network again).
   */
  async function reconcile(): Promise<void> {
    const since = Date.now();
    const listed = await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${config.owner}`] } }).catch(() => undefined);
    if (!listed) {
      if (dockerUp) log('the Docker daemon does not answer: new sessions fail until it is back');
      dockerUp = false;
      return;
    }
    if (!dockerUp) {
      log('the Docker daemon is back: ending sessions whose containers stopped, refilling the warm pool');
      dockerUp = true;
      if (usesSandboxNetwork()) await ensureSandboxNetwork(docker, config.sandboxNetwork).catch((error: unknown) => log(`sandbox network: ${(error as Error).message}`));
    }
    const alive = new Set(listed.filter((info) => info.State === 'running' || info.State === 'paused').map((info) => info.Id));
    for (const session of sessions.values()) {
      const id = session.engine.containerId;
      if (id && session.createdAt < since && !alive.has(id)) {
        void endSession(session, 'The sandbox stopped unexpectedly (its container exited, or Docker restarted). Run the example again.');
      }
    }
    // A stopped container serves no one; this also removes those whose removal failed while Docker was away.
    const stopped = listed.filter((info) => info.State === 'exited' || info.State === 'dead');
    await Promise.all(stopped.map((info) => docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined)));
    await pool.discardStopped();
  }

  function usesSandboxNetwork(): boolean {
    return config.network === (config.sandboxNetwork?.name ?? SANDBOX_NETWORK);
  }

  async function removeOrphans(): Promise<void> {
    const orphans = await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${config.owner}`] } });
    await Promise.all(orphans.map((info) => docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined)));
    if (orphans.length) log(`removed ${orphans.length} container(s) left by an earlier run`);
  }

  return {
    get url() {
      return baseUrl;
    },
    sessions,
    server,
    async listen(port = 0, host = '127.0.0.1') {
      // Fail at start, not on every session: an operator sees the fix once, in the terminal.
      await checkImages(docker, config);
      if (usesSandboxNetwork()) await ensureSandboxNetwork(docker, config.sandboxNetwork);
      await removeOrphans();
      if (allowsPtrace(seccompProfile)) log('warning: sandboxes run under a seccomp profile that allows ptrace between their own processes; `npm run setup` installs one without it (see docs/security.md)');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      previewTemplate = config.previewUrl ?? `http://{session}-{port}.localhost:${actual}/`;
      previewSuffix = new URL(previewTemplate.replace('{session}-{port}', 'preview-1')).host.slice('preview-1.'.length);
      startTimers();
      // Other stacks' images are pooled once a session has asked for one (claim refills): most sites use one stack.
      pool.fill(config.image);
      log(`listening on ${baseUrl} (previews at ${previewTemplate})`);
      return baseUrl;
    },
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all([...sessions.values()].map((session) => endSession(session, 'The server is shutting down.')).concat(pool.close()));
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
