/**
 * The CPU meter: every few seconds it reads each session's CPU time (Docker's
 * one-shot stats, so it works on any Docker-compatible engine, local or not),
 * charges it to the session's site (see OriginQuotas), and ends two kinds of
 * session with a reason the reader sees:
 *
 * - a miner: one that has kept its CPU limit busy (at least `BUSY_SHARE` of
 *   it) for `minerWindow` without a pause. Installs and builds come in bursts; a
 *   miner never stops.
 * - a session still burning CPU once its site's CPU-seconds for the hour are
 *   spent. Idle ones (a dev server waiting for its reader) cost nothing and
 *   stay; otherwise the hourly budget would not bound anything while sessions run.
 *
 * A session's last seconds are charged as it ends (`settle`), before its container goes.
 */
import type Docker from 'dockerode';
import { duration, NO_ORIGIN } from './origin-quotas.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/** The share of its CPU limit at which a session counts as busy. */
export const BUSY_SHARE = 0.9;
/** How long a CPU reading may take before it is given up (Docker not answering). */
const STATS_TIMEOUT = 5_000;
/** The share of its CPU limit below which a session over its site's budget counts as idle. */
export const IDLE_SHARE = 0.1;

/** What the meter needs from the orchestrator. */
export interface CpuMeterContext {
  docker: Docker;
  /** The live sessions, their sites' quotas, and how a session is ended with a reason its reader sees. */
  registry: Pick<SessionRegistry, 'sessions' | 'quotas' | 'end'>;
  /** Each sandbox's CPU limit, in cores. */
  cpus: number;
  /** How long a session may keep its CPU busy, in ms. */
  minerWindow: number;
  log: (line: string) => void;
}

interface Sample {
  /** CPU time used so far, in ns. */
  usage: number;
  at: number;
  /** Since when the session has been busy without a pause (undefined: not busy now). */
  busySince: number | undefined;
}

export class CpuMeter {
  readonly #context: CpuMeterContext;
  readonly #samples = new Map<string, Sample>();
  #sampling: Promise<void> | undefined;

  constructor(context: CpuMeterContext) {
    this.#context = context;
  }

  /** Samples every live session once (a call while one is under way waits for it instead). */
  sample(): Promise<void> {
    this.#sampling ??= this.#sampleAll().finally(() => (this.#sampling = undefined));
    return this.#sampling;
  }

  async #sampleAll(): Promise<void> {
    const { sessions } = this.#context.registry;
    for (const id of this.#samples.keys()) if (!sessions.has(id)) this.#samples.delete(id);
    await Promise.all([...sessions.values()].map((session) => this.#sampleOne(session)));
  }

  /** Charges what an ending session used since its last sample (it has left the registry: sampling skips it now). */
  async settle(session: Session): Promise<void> {
    const usage = await this.#cpuTime(session);
    const previous = this.#samples.get(session.id);
    this.#samples.delete(session.id);
    const key = this.#context.registry.quotas.keyOf(session.id);
    if (usage !== undefined && key !== undefined) this.#context.registry.quotas.charge(key, (usage - (previous?.usage ?? 0)) / 1e9);
  }

  async #sampleOne(session: Session): Promise<void> {
    const usage = await this.#cpuTime(session);
    const { registry: { quotas, sessions }, cpus, minerWindow } = this.#context;
    if (usage === undefined || sessions.get(session.id) !== session) return; // an ended session is settled instead
    const now = Date.now();
    const previous = this.#samples.get(session.id);
    const key = quotas.keyOf(session.id);
    // The first sample charges everything since the container started (its boot, a pooled container's wait: little).
    const used = (usage - (previous?.usage ?? 0)) / 1e9;
    if (key !== undefined) quotas.charge(key, used, now);
    const share = previous ? used / (((now - previous.at) / 1000) * cpus) : 0;
    const busySince = share >= BUSY_SHARE ? (previous?.busySince ?? previous?.at) : undefined;
    this.#samples.set(session.id, { usage, at: now, busySince });
    if (busySince !== undefined && now - busySince >= minerWindow) {
      this.#end(session, `Ended: this example used all its CPU for ${duration(minerWindow)}, as a crypto miner would. Run it again to restart.`);
    } else if (key !== undefined && share >= IDLE_SHARE) {
      const wait = quotas.cpuResetIn(key, now);
      const whose = key === NO_ORIGIN ? 'sandboxes started without an Origin' : "this site's sandboxes";
      if (wait !== undefined) this.#end(session, `Ended: ${whose} used all their CPU time for this hour; it resets in ${duration(wait)}.`);
    }
  }

  /** The CPU time the session's container has used, in ns; undefined when it cannot be read (the container is going away). */
  async #cpuTime(session: Session): Promise<number | undefined> {
    const id = session.engine.containerId;
    if (!id) return undefined;
    try {
      const options = { stream: false as const, 'one-shot': true, abortSignal: AbortSignal.timeout(STATS_TIMEOUT) };
      const stats = await this.#context.docker.getContainer(id).stats(options);
      return stats.cpu_stats.cpu_usage.total_usage;
    } catch {
      return undefined; // its session ends by other means
    }
  }

  #end(session: Session, reason: string): void {
    this.#samples.delete(session.id);
    this.#context.log(`session ${session.id}: ${reason}`);
    void this.#context.registry.end(session, reason);
  }
}
