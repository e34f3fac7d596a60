/**
 * Who else is in the fleet, from what operators already run: a static list of
 * peer URLs and/or a DNS name that resolves to every server (a Kubernetes
 * headless Service, a Compose service name), re-resolved as servers come and
 * go. Each peer is probed (`GET /healthz`) for its owner id, whether it
 * answers, and its room; this server is recognised by its own owner id and
 * left out.
 */
import { lookup } from 'node:dns/promises';

/** What this server knows of one peer. */
export interface Peer {
  /** The base URL this server reaches it at. */
  url: string;
  /** Its owner id, once a probe has answered. */
  owner?: string;
  /** Whether its last probe (or hop) reached it. */
  alive: boolean;
  sessions: number;
  limit: number;
}

export interface MembershipOptions {
  /** Peer base URLs given by the operator. */
  peers: string[];
  /** `host:port` whose every address is a server of the fleet. */
  dns?: string | undefined;
  /** This server's owner id (to leave itself out). */
  self: () => string;
  /** How often peers are probed, in ms (default 2 s). */
  probeEvery?: number;
  /** How often the DNS name is resolved again, in ms (default 10 s). */
  resolveEvery?: number;
  log: (line: string) => void;
}

/** `/healthz` figures a peer answers with (the fields membership reads). */
interface PeerHealth {
  owner?: string;
  capacity?: { sessions: number; limit: number };
}

export class Membership {
  readonly #options: MembershipOptions;
  readonly #peers = new Map<string, Peer>();
  #resolved: string[] = [];
  #timers: NodeJS.Timeout[] = [];
  #refreshing: Promise<void> | undefined;

  constructor(options: MembershipOptions) {
    this.#options = options;
    for (const url of options.peers) this.#peers.set(normalize(url), unknownPeer(url));
  }

  /** Whether the fleet has any other server to know of. */
  get configured(): boolean {
    return this.#options.peers.length > 0 || this.#options.dns !== undefined;
  }

  /** Peers currently known (not this server). */
  get peers(): Peer[] {
    return [...this.#peers.values()].filter((peer) => peer.owner !== this.#options.self());
  }

  /** Resolves the DNS name and probes every peer now, then every few seconds. */
  start(): Promise<void> {
    const { probeEvery = 2_000, resolveEvery = 10_000 } = this.#options;
    this.#timers = [setInterval(() => void this.#probeAll(), probeEvery)];
    if (this.#options.dns) this.#timers.push(setInterval(() => void this.#resolve(), resolveEvery));
    for (const timer of this.#timers) timer.unref();
    return this.refresh();
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }

  /** One DNS resolution and one round of probes (shared by concurrent callers). */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      await this.#resolve();
      await this.#probeAll();
    })().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** The peer that owns sessions with this owner id, alive or not; `undefined` when none is known. */
  ownerOf(owner: string): Peer | undefined {
    return this.peers.find((peer) => peer.owner === owner);
  }

  /** The living peer with the most room, if any has room. */
  roomiest(): Peer | undefined {
    const withRoom = this.peers.filter((peer) => peer.alive && peer.sessions < peer.limit);
    return withRoom.sort((a, b) => a.sessions / a.limit - b.sessions / b.limit)[0];
  }

  /** A hop found `peer` unreachable: route nothing more to it until a probe reaches it again. */
  markDead(peer: Peer): void {
    if (peer.alive) this.#options.log(`fleet: ${peer.url} (${peer.owner ?? 'owner unknown'}) does not answer; routing nothing to it`);
    peer.alive = false;
  }

  async #resolve(): Promise<void> {
    const { dns } = this.#options;
    if (!dns) return;
    const at = dns.lastIndexOf(':');
    const [host, port] = [dns.slice(0, at), dns.slice(at + 1)];
    try {
      const addresses = await lookup(host, { all: true });
      this.#resolved = addresses.map(({ address, family }) => `http://${family === 6 ? `[${address}]` : address}:${port}`);
    } catch (error) {
      // No such name: no server behind it (yet). Any other failure (the resolver down): keep the last answer.
      if ((error as NodeJS.ErrnoException).code === 'ENOTFOUND') this.#resolved = [];
      else this.#options.log(`fleet: cannot resolve ${host}: ${(error as Error).message}`);
    }
    const wanted = new Set([...this.#options.peers.map(normalize), ...this.#resolved]);
    for (const url of wanted) if (!this.#peers.has(url)) this.#peers.set(url, unknownPeer(url));
    for (const url of this.#peers.keys()) if (!wanted.has(url)) this.#peers.delete(url);
  }

  async #probeAll(): Promise<void> {
    await Promise.all([...this.#peers.values()].map((peer) => this.#probe(peer)));
  }

  async #probe(peer: Peer): Promise<void> {
    try {
      const response = await fetch(`${peer.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      const health = (await response.json()) as PeerHealth;
      if (typeof health.owner !== 'string' || !health.capacity) throw new Error('its /healthz names no owner: is it a code-sandbox server of this version?');
      if (peer.owner !== health.owner) this.#options.log(`fleet: ${peer.url} is ${health.owner}`);
      Object.assign(peer, { owner: health.owner, alive: response.ok, ...health.capacity });
    } catch {
      this.markDead(peer);
    }
  }
}

function normalize(url: string): string {
  return url.replace(/\/+$/, '');
}

function unknownPeer(url: string): Peer {
  return { url: normalize(url), alive: false, sessions: 0, limit: 0 };
}
