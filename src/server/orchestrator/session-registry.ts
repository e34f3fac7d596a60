/**
 * The live sessions: admitting a new one (capacity and per-address caps),
 * starting its engine (from the warm pool when one is ready), ending it (on
 * request, at its maximum lifetime, when idle), and freezing those whose
 * reader went away. Also counts each site's sessions (OriginQuotas; the CPU
 * meter charges their CPU and ends miners). Knows nothing of HTTP; its
 * refusals are `HttpError`s so the HTTP app can pass them on as they are.
 */
import { CLOSE } from '../../protocol/messages.js';
import { LocalContainerEngine, type LocalContainerEngineOptions } from '../local-engine/local-container-engine.js';
import type { EgressMode, SandboxEgress } from '../egress/sandbox-egress.js';
import type { DependencyCache } from './dependency-cache.js';
import { HttpError } from './http-errors.js';
import type { ResolvedOptions } from './options.js';
import { OriginQuotas } from './origin-quotas.js';
import { newSessionId, Session, type SessionContext } from './session.js';
import type { TokenSigner } from './tokens.js';
import type { WarmPool } from './warm-pool.js';

/** Every session's container is named after it, so operators can find it with `docker ps`. */
export function containerName(session: string): string {
  return `code-sandbox-${session}`;
}

/** What the registry needs from the orchestrator. */
export interface SessionRegistryContext {
  config: ResolvedOptions;
  pool: WarmPool;
  cache: DependencyCache | undefined;
  signer: TokenSigner;
  engineOptions: (image: string, egress?: EgressMode) => LocalContainerEngineOptions;
  /** Which egress a template's sessions get. */
  egress: Pick<SandboxEgress, 'mode'>;
  previewUrl: (session: string, port: number) => string;
  /** Called as a session ends, before its container goes (the CPU meter charges its last seconds). */
  ending?: (session: Session) => Promise<void>;
  /** What every new session id starts with (the fleet's owner id of this server). */
  idPrefix?: () => string;
}

const SHUTTING_DOWN = 'The sandbox server is shutting down; try again shortly.';

export class SessionRegistry {
  /** Live sessions by id. */
  readonly sessions = new Map<string, Session>();
  /** Each site's sessions at once, creations and CPU in the last hour. */
  readonly quotas: OriginQuotas;
  readonly #context: SessionRegistryContext;
  readonly #lifetimes = new Map<string, NodeJS.Timeout>();
  /** Sessions being created (their engine is booting), in total and per address: they count against the caps. */
  #pending = 0;
  readonly #pendingByAddress = new Map<string, number>();
  #closing = false;
  /** Sessions being torn down. */
  readonly #ending = new Set<Promise<void>>();

  constructor(context: SessionRegistryContext) {
    this.#context = context;
    this.quotas = new OriginQuotas(context.config.limits);
  }

  /** Whether `close()` has begun. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Sessions open or starting, against the limit (a fleet places new sessions by it). */
  get capacity(): { sessions: number; limit: number } {
    return { sessions: this.sessions.size + this.#pending, limit: this.#context.config.limits.sessions };
  }

  /** Throws the `HttpError` a new session from `address` gets now, if any (checked before reading a request body). */
  assertOpen(): void {
    if (this.#closing) throw new HttpError(503, 'UNAVAILABLE', SHUTTING_DOWN);
  }

  /**
   * Creates a session for `address` running `template`'s image, counted against
   * the site quotas under `quota` (see `quotaKey`: the page's Origin; undefined
   * for API-keyed requests), or throws the `HttpError` that says why not.
   */
  async create(address: string, template: string | undefined, quota?: string): Promise<Session> {
    this.assertOpen();
    this.#admit(address);
    const id = newSessionId(this.#context.idPrefix?.());
    this.quotas.admit(id, quota);
    this.#pending++;
    this.#pendingByAddress.set(address, (this.#pendingByAddress.get(address) ?? 0) + 1);
    let created = false;
    try {
      const { config } = this.#context;
      const image = (template && config.images[template]) || config.image;
      const engine = await this.#startEngine(image, this.#context.egress.mode(template), containerName(id));
      if (this.#closing) {
        await engine.teardown();
        throw new HttpError(503, 'UNAVAILABLE', SHUTTING_DOWN);
      }
      created = true;
      return this.#add(new Session(id, address, engine, this.#sessionContext(image)));
    } finally {
      if (!created) this.quotas.release(id);
      this.#pending--;
      const left = (this.#pendingByAddress.get(address) ?? 1) - 1;
      if (left) this.#pendingByAddress.set(address, left);
      else this.#pendingByAddress.delete(address);
    }
  }

  /** Ends `session` (its container is removed) and says why to its client; ending it twice is harmless. */
  async end(session: Session, reason: string): Promise<void> {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    clearTimeout(this.#lifetimes.get(session.id));
    this.#lifetimes.delete(session.id);
    const closing = (async () => {
      await this.#context.ending?.(session).catch(() => undefined);
      this.quotas.release(session.id);
      await session.close(reason, this.#closing ? CLOSE.shuttingDown : CLOSE.sessionEnded);
    })();
    this.#ending.add(closing);
    await closing.finally(() => this.#ending.delete(closing));
    this.#context.config.log(`session ${session.id} ended: ${reason} (${this.sessions.size} open)`);
  }

  /** Ends sessions no client has used for `idleTimeout`, and freezes those unused for `pauseAfter`. */
  sweepIdle(now = Date.now()): void {
    const { limits } = this.#context.config;
    for (const session of this.sessions.values()) {
      if (session.connected) continue;
      if (now - session.lastActivity > limits.idleTimeout) void this.end(session, 'Idle: no client connected.');
      else if (now - session.lastActivity > limits.pauseAfter) void session.freeze();
    }
  }

  /** Refuses every new session from now on and ends every live one. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.sessions.values()].map((session) => this.end(session, 'The server is shutting down.')));
    await Promise.all(this.#ending); // those ended just before (by the CPU meter, say) leave no container behind
  }

  /** The caps: sessions in total, and per address. */
  #admit(address: string): void {
    const { limits } = this.#context.config;
    if (this.sessions.size + this.#pending >= limits.sessions) {
      throw new HttpError(503, 'CAPACITY', `The sandbox server is at capacity (${limits.sessions} sessions); try again in a minute.`, { 'retry-after': '30' });
    }
    const mine = [...this.sessions.values()].filter((session) => session.address === address).length + (this.#pendingByAddress.get(address) ?? 0);
    if (mine >= limits.sessionsPerAddress) {
      throw new HttpError(429, 'RATE_LIMITED', `Your address already has ${mine} sandboxes open (limit ${limits.sessionsPerAddress}); close one and run again.`);
    }
  }

  #sessionContext(image: string): SessionContext {
    const { config, cache, signer, previewUrl } = this.#context;
    return { image, cache, signer, previewUrl, maxFileBytes: config.limits.maxFileBytes, outputBufferBytes: config.limits.outputBufferBytes, log: config.log };
  }

  #add(session: Session): Session {
    const { limits, log } = this.#context.config;
    this.sessions.set(session.id, session);
    const lifetime = setTimeout(() => void this.end(session, 'The session reached its maximum lifetime.'), limits.maxLifetime);
    lifetime.unref();
    this.#lifetimes.set(session.id, lifetime);
    log(`session ${session.id} created for ${session.address} (${this.sessions.size} open)`);
    return session;
  }

  /**
   * A booted engine named `name`: from the warm pool when one is ready (a pooled
   * container that died meanwhile is discarded), else created now. The pool
   * holds containers of the default egress only.
   */
  async #startEngine(image: string, egress: EgressMode, name: string): Promise<LocalContainerEngine> {
    const { pool, config, engineOptions } = this.#context;
    const pooled = egress === config.egress ? pool.claim(image) : undefined;
    if (pooled) {
      try {
        await pooled.rename(name);
        if (!(await pooled.isRunning())) throw new Error('its container has stopped');
        return pooled;
      } catch (error) {
        config.log(`warm pool: discarding a container that cannot be claimed: ${(error as Error).message}`);
        await pooled.teardown().catch(() => undefined);
      }
    }
    const engine = new LocalContainerEngine({ ...engineOptions(image, egress), name });
    try {
      await engine.boot();
      return engine;
    } catch (error) {
      await engine.teardown().catch(() => undefined);
      config.log(`session create failed: ${(error as Error).message}`);
      throw new HttpError(503, 'UNAVAILABLE', 'The sandbox server cannot start a sandbox right now; try again later. (Its operator will find the cause in its log.)');
    }
  }
}
