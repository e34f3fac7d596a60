/**
 * Keeps the orchestrator's view of Docker true. At start it removes the
 * containers an earlier run left (found by the owner label); then every few
 * seconds it ends sessions whose container stopped under them (killed, its
 * init out of memory, Docker restarted), so their clients hear why instead of
 * meeting errors; removes stopped containers; tops up the warm pool; and says
 * when the Docker daemon goes away and comes back (then makes sure of the
 * sandbox network again).
 */
import type Docker from 'dockerode';
import { OWNER_LABEL } from '../local-engine/container-spec.js';
import { ensureSandboxNetwork, SANDBOX_NETWORK } from '../local-engine/sandbox-network.js';
import type { SandboxEgress } from '../egress/sandbox-egress.js';
import type { ResolvedOptions } from './options.js';
import type { SessionRegistry } from './session-registry.js';
import type { WarmPool } from './warm-pool.js';

export class DockerReconciler {
  readonly #docker: Docker;
  readonly #config: ResolvedOptions;
  readonly #registry: SessionRegistry;
  readonly #pool: WarmPool;
  readonly #egress: SandboxEgress;
  #dockerUp = true;

  constructor(docker: Docker, config: ResolvedOptions, registry: SessionRegistry, pool: WarmPool, egress: SandboxEgress) {
    this.#docker = docker;
    this.#egress = egress;
    this.#config = config;
    this.#registry = registry;
    this.#pool = pool;
  }

  /** Whether sandboxes join the dedicated sandbox network (which the server sets up). */
  get usesSandboxNetwork(): boolean {
    return this.#config.network === (this.#config.sandboxNetwork?.name ?? SANDBOX_NETWORK);
  }

  /** Sets up the sandbox networks in use, and the egress proxy (at start, and when Docker is back). */
  async ensureNetwork(): Promise<void> {
    if (this.usesSandboxNetwork) await ensureSandboxNetwork(this.#docker, this.#config.sandboxNetwork);
    await this.#egress.ensure();
  }

  /** Whether the Docker daemon answers a ping within two seconds. */
  async dockerAnswers(): Promise<boolean> {
    const timeout = new Promise<false>((resolve) => setTimeout(resolve, 2000, false).unref());
    return Promise.race([this.#docker.ping().then(() => true, () => false), timeout]);
  }

  /** Removes every container of this owner: at start, they are what an earlier run left. */
  async removeOrphans(): Promise<void> {
    const orphans = await this.#owned();
    await this.#remove(orphans);
    if (orphans.length) this.#config.log(`removed ${orphans.length} container(s) left by an earlier run`);
  }

  /** One round of reconciling (see the module comment). */
  async reconcile(): Promise<void> {
    const since = Date.now();
    const listed = await this.#owned().catch(() => undefined);
    if (!listed) {
      if (this.#dockerUp) this.#config.log('the Docker daemon does not answer: new sessions fail until it is back');
      this.#dockerUp = false;
      return;
    }
    if (!this.#dockerUp) {
      this.#config.log('the Docker daemon is back: ending sessions whose containers stopped, refilling the warm pool');
      this.#dockerUp = true;
      await this.ensureNetwork().catch((error: unknown) => this.#config.log(`sandbox network: ${(error as Error).message}`));
    }
    const alive = new Set(listed.filter((info) => info.State === 'running' || info.State === 'paused').map((info) => info.Id));
    for (const session of this.#registry.sessions.values()) {
      const id = session.engine.containerId;
      if (id && session.createdAt < since && !alive.has(id)) {
        void this.#registry.end(session, 'The sandbox stopped unexpectedly (its container exited, or Docker restarted). Run the example again.');
      }
    }
    // A stopped container serves no one; this also removes those whose removal failed while Docker was away.
    await this.#remove(listed.filter((info) => info.State === 'exited' || info.State === 'dead'));
    await this.#pool.discardStopped();
  }

  #owned(): Promise<Docker.ContainerInfo[]> {
    return this.#docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${this.#config.owner}`] } });
  }

  async #remove(containers: Docker.ContainerInfo[]): Promise<void> {
    await Promise.all(containers.map((info) => this.#docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined)));
  }
}
