/**
 * Containers booted ahead of time, per image, so creating a session does not
 * wait for Docker. A pooled container is hardened like any other and has never
 * run anything; once claimed it belongs to one session and is never returned,
 * so no state passes between sessions. Claimed slots are refilled in the
 * background.
 */
import { LocalContainerEngine, type LocalContainerEngineOptions } from '../local-engine/local-container-engine.js';

export class WarmPool {
  readonly #size: number;
  readonly #options: (image: string) => LocalContainerEngineOptions;
  readonly #ready = new Map<string, LocalContainerEngine[]>();
  readonly #filling = new Map<string, number>();
  readonly #images = new Set<string>();
  readonly #adding = new Set<Promise<void>>();
  readonly #log: (line: string) => void;
  #closed = false;

  /** `size` ready containers per image; `options(image)` says how each is created. */
  constructor(size: number, options: (image: string) => LocalContainerEngineOptions, log: (line: string) => void) {
    this.#size = size;
    this.#options = options;
    this.#log = log;
  }

  /** How many containers are ready for `image`. */
  ready(image: string): number {
    return this.#ready.get(image)?.length ?? 0;
  }

  /** How many containers are ready, over every image. */
  get total(): number {
    return [...this.#ready.values()].reduce((sum, engines) => sum + engines.length, 0);
  }

  /** Starts filling the pool for `image` (also done after each claim, and by `refill`). */
  fill(image: string): void {
    if (this.#closed || this.#size === 0) return;
    this.#images.add(image);
    const wanted = this.#size - this.ready(image) - (this.#filling.get(image) ?? 0);
    for (let i = 0; i < wanted; i++) {
      const adding = this.#add(image).finally(() => this.#adding.delete(adding));
      this.#adding.add(adding);
    }
  }

  /** A booted, never used engine for `image`, or undefined when none is ready. */
  claim(image: string): LocalContainerEngine | undefined {
    const engine = this.#ready.get(image)?.shift();
    this.fill(image);
    return engine;
  }

  /** Drops (and removes) pooled containers that stopped (Docker restarted under them, say), then refills. */
  async discardStopped(): Promise<void> {
    const pooled = [...this.#ready.values()].flat();
    const running = await Promise.all(pooled.map((engine) => engine.isRunning()));
    const stopped = pooled.filter((_, i) => !running[i]);
    if (stopped.length) {
      for (const [image, engines] of this.#ready) this.#ready.set(image, engines.filter((engine) => !stopped.includes(engine)));
      this.#log(`warm pool: discarding ${stopped.length} stopped container(s)`);
      await Promise.all(stopped.map((engine) => engine.teardown().catch(() => undefined)));
    }
    this.refill();
  }

  /** Tops up every image the pool was ever asked to fill, as boots that failed (Docker away, say) left it short. */
  refill(): void {
    for (const image of this.#images) this.fill(image);
  }

  /** Tears down every container waiting in the pool, and those still booting once they are up. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#adding);
    const engines = [...this.#ready.values()].flat();
    this.#ready.clear();
    await Promise.all(engines.map((engine) => engine.teardown().catch(() => undefined)));
  }

  async #add(image: string): Promise<void> {
    this.#filling.set(image, (this.#filling.get(image) ?? 0) + 1);
    const engine = new LocalContainerEngine(this.#options(image));
    try {
      await engine.boot();
      if (this.#closed) await engine.teardown();
      else this.#ready.set(image, [...(this.#ready.get(image) ?? []), engine]);
    } catch (error) {
      this.#log(`warm pool: could not boot a container of ${image}: ${(error as Error).message}`);
    } finally {
      this.#filling.set(image, (this.#filling.get(image) ?? 1) - 1);
    }
  }
}
