/**
 * Short-lived session tokens: `<session>.<expiry ms>.<HMAC-SHA256>`, signed with
 * the orchestrator's secret. Stateless to verify; bound to one session.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a token was refused, for the error the client sees. */
export type TokenProblem = 'missing' | 'malformed' | 'expired' | 'other-session';

export class TokenSigner {
  readonly #secret: Buffer;
  readonly #ttl: number;

  constructor(secret: string | Buffer, ttlMs: number) {
    this.#secret = Buffer.from(secret);
    this.#ttl = ttlMs;
  }

  /** A fresh token for `session`, valid for the configured lifetime. */
  issue(session: string, now = Date.now()): { token: string; expiresAt: number } {
    const expiresAt = now + this.#ttl;
    return { token: `${session}.${expiresAt}.${this.#mac(`${session}.${expiresAt}`)}`, expiresAt };
  }

  /** `undefined` when `token` is valid for `session`, else what is wrong with it. */
  check(token: string | undefined | null, session: string, now = Date.now()): TokenProblem | undefined {
    if (!token) return 'missing';
    const parts = token.split('.');
    if (parts.length !== 3) return 'malformed';
    const [owner, expiry, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.#mac(`${owner}.${expiry}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'malformed';
    if (owner !== session) return 'other-session';
    if (!(Number(expiry) > now)) return 'expired';
    return undefined;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}

/** The message a client sees for each problem. */
export const TOKEN_MESSAGES: Record<TokenProblem, string> = {
  missing: 'This request needs the session token that creating the session returned (Authorization: Bearer <token>, or ?token= on the WebSocket).',
  malformed: 'The session token is not one this server signed. Create a new session.',
  expired: 'The session token has expired. Create a new session, or refresh the token over the open connection before it expires.',
  'other-session': 'The session token belongs to another session.',
};
