/**
 * Quotas per embedding site (the page's Origin), beside the per-address caps:
 * sessions at once, session creations in the last hour, and CPU-seconds used in
 * the last hour. A site is what pays for (and abuses) a sandbox server when one
 * docs page is embedded everywhere, so that is what is counted; readers behind
 * one address are the per-address caps' business.
 *
 * Who is counted, by quota key (see `quotaKey`): a page's Origin; every request
 * without one (scripts, curl: not a browser page) shares the one `NO_ORIGIN`
 * budget; requests with a valid API key are the operator's own server-to-server
 * calls and are not counted (no key: `undefined`).
 *
 * Windows are rolling: creations are kept as timestamps, CPU as one bucket per
 * minute, so a refusal can say when enough of the window has passed to admit
 * the next session.
 */
import { HttpError } from './http-errors.js';

/** The quota key of requests that carry no Origin header. */
export const NO_ORIGIN = '(no origin)';

const HOUR = 60 * 60_000;
const MINUTE = 60_000;
/** Keys tracked before the idle ones are swept. */
const MAX_KEYS = 10_000;

/** What the quotas allow each key. */
export interface OriginQuotaLimits {
  /** Sessions open at once. */
  originSessions: number;
  /** Sessions created in any rolling hour. */
  originSessionsPerHour: number;
  /** CPU-seconds used by its sessions in any rolling hour. */
  originCpuSecondsPerHour: number;
}

/** The key a request's sessions are counted under: its Origin, `NO_ORIGIN`, or `undefined` (API-keyed: not counted). */
export function quotaKey(origin: string | undefined, keyed: boolean): string | undefined {
  return keyed ? undefined : (origin ?? NO_ORIGIN);
}

interface Usage {
  open: number;
  /** Creation times in the window, oldest first. */
  created: number[];
  /** CPU-seconds per minute in the window: [minute start, seconds], oldest first. */
  cpu: [number, number][];
}

export class OriginQuotas {
  readonly #limits: OriginQuotaLimits;
  readonly #usage = new Map<string, Usage>();
  /** Each counted session's key. */
  readonly #keys = new Map<string, string>();

  constructor(limits: OriginQuotaLimits) {
    this.#limits = limits;
  }

  /**
   * Admits session `id` for `key` (counts it open and created), or throws the
   * 429 that names the limit it hit and when to try again. `undefined`: not counted.
   */
  admit(id: string, key: string | undefined, now = Date.now()): void {
    if (key === undefined) return;
    if (this.#usage.size > MAX_KEYS) this.#sweep(now);
    const usage = this.#prune(key, now);
    const limits = this.#limits;
    if (usage.open >= limits.originSessions) {
      refuse(`${who(key)} already has ${sandboxes(usage.open)} open (limit ${limits.originSessions} at once); try again when one closes.`, MINUTE);
    }
    if (usage.created.length >= limits.originSessionsPerHour) {
      const wait = usage.created[0]! + HOUR - now;
      refuse(`${who(key)} started ${sandboxes(usage.created.length)} in the last hour (limit ${limits.originSessionsPerHour} an hour); try again in ${duration(wait)}.`, wait);
    }
    const wait = this.cpuResetIn(key, now);
    if (wait !== undefined) {
      refuse(`${who(key)} used all its CPU time for this hour (limit ${limits.originCpuSecondsPerHour} CPU-seconds an hour); try again in ${duration(wait)}.`, wait);
    }
    usage.open++;
    usage.created.push(now);
    this.#keys.set(id, key);
  }

  /** Session `id` closed (or never started): it no longer counts as open. Harmless for ids not counted. */
  release(id: string): void {
    const key = this.#keys.get(id);
    if (key === undefined) return;
    this.#keys.delete(id);
    const usage = this.#usage.get(key)!;
    usage.open--;
    if (!usage.open && !usage.created.length && !usage.cpu.length) this.#usage.delete(key);
  }

  /** The key session `id` is counted under (undefined: not counted). */
  keyOf(id: string): string | undefined {
    return this.#keys.get(id);
  }

  /** Charges `seconds` of CPU to `key`. */
  charge(key: string, seconds: number, now = Date.now()): void {
    if (seconds <= 0) return;
    const usage = this.#prune(key, now);
    const minute = now - (now % MINUTE);
    const last = usage.cpu.at(-1);
    if (last?.[0] === minute) last[1] += seconds;
    else usage.cpu.push([minute, seconds]);
  }

  /** CPU-seconds `key` used in the last hour. */
  cpuUsed(key: string, now = Date.now()): number {
    return this.#prune(key, now).cpu.reduce((sum, [, seconds]) => sum + seconds, 0);
  }

  /** Undefined while `key` has CPU left this hour; else ms until enough of it has aged out of the window to admit a session. */
  cpuResetIn(key: string, now = Date.now()): number | undefined {
    const limit = this.#limits.originCpuSecondsPerHour;
    let used = this.cpuUsed(key, now);
    if (used < limit) return undefined;
    for (const [minute, seconds] of this.#prune(key, now).cpu) {
      used -= seconds;
      if (used < limit) return minute + MINUTE + HOUR - now;
    }
    return HOUR;
  }

  /** Forgets keys with nothing open and nothing left in the window, so memory stays bounded under many origins. */
  #sweep(now: number): void {
    for (const key of [...this.#usage.keys()]) {
      const usage = this.#prune(key, now);
      if (!usage.open && !usage.created.length && !usage.cpu.length) this.#usage.delete(key);
    }
  }

  /** Forgets what left the window; `key`'s usage, created if new. */
  #prune(key: string, now: number): Usage {
    let usage = this.#usage.get(key);
    if (!usage) this.#usage.set(key, (usage = { open: 0, created: [], cpu: [] }));
    while (usage.created.length && usage.created[0]! <= now - HOUR) usage.created.shift();
    while (usage.cpu.length && usage.cpu[0]![0] + MINUTE <= now - HOUR) usage.cpu.shift();
    return usage;
  }
}

/** Who a refusal or an ending speaks of. */
export function who(key: string): string {
  return key === NO_ORIGIN ? 'Clients without an Origin (not a web page)' : `This site (${key})`;
}

/** "12 minutes", "45 seconds": a wait as a reader reads it (rounded up). */
export function duration(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

function sandboxes(count: number): string {
  return `${count} sandbox${count === 1 ? '' : 'es'}`;
}

function refuse(message: string, wait: number): never {
  throw new HttpError(429, 'RATE_LIMITED', message, { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) });
}
