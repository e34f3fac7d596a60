/**
 * A fleet: several servers behind one name, each owning the sessions it
 * created. Wires membership, hop signing and the front door; the orchestrator
 * starts it once it listens (its advertise URL may come from the listen
 * address) and prefixes every session id with its owner id.
 */
import type { PreviewHosts } from '../orchestrator/preview-proxy.js';
import type { FrontDoor } from '../orchestrator/front-doors.js';
import { FleetFrontDoor, type Capacity } from './front-door.js';
import { HopSigner } from './hop.js';
import { Membership } from './membership.js';
import { defaultAdvertiseUrl, ownerIdOf } from './owner.js';

/** How a server finds the rest of its fleet (all optional: without peers it is a fleet of one). */
export interface FleetOptions {
  /** Base URLs of the other servers, e.g. `http://10.0.0.2:8787`. */
  peers?: string[];
  /** `host:port` of a DNS name that resolves to every server (a Kubernetes headless Service, a Compose service); re-resolved every 10 s. */
  peerDns?: string;
  /** The URL peers reach this server at (default: the listen address; on 0.0.0.0, this host's first IPv4 address). */
  advertiseUrl?: string;
}

export interface Fleet {
  /** Tried before the HTTP app's routes. */
  readonly frontDoor: FrontDoor;
  /** This server's owner id: every session id it creates starts with it. */
  readonly owner: string;
  /** The URL peers reach this server at (once started). */
  readonly advertiseUrl: string;
  /** Starts knowing the fleet, with the listen address (for the default advertise URL). */
  start(host: string, port: number): Promise<void>;
  stop(): void;
}

export interface FleetContext {
  options: FleetOptions | undefined;
  /** The fleet's shared secret (signs tokens and hops); must be given when there are peers. */
  secret: string;
  secretGiven: boolean;
  previews: PreviewHosts;
  capacity: () => Capacity;
  log: (line: string) => void;
}

export function createFleet(context: FleetContext): Fleet {
  const { options = {}, secret, previews, capacity, log } = context;
  for (const peer of options.peers ?? []) {
    if (!/^https?:$/.test(URL.canParse(peer) ? new URL(peer).protocol : '')) throw new Error(`A fleet peer must be an http(s) URL such as http://10.0.0.2:8787, not "${peer}".`);
  }
  if (options.peerDns !== undefined && !/^[^:\s]+:\d{1,5}$/.test(options.peerDns)) {
    throw new Error(`The fleet's DNS name must be host:port, such as code-sandbox:8787, not "${options.peerDns}".`);
  }
  let advertiseUrl = options.advertiseUrl ?? '';
  let owner = advertiseUrl ? ownerIdOf(advertiseUrl) : '';
  const membership = new Membership({ peers: options.peers ?? [], dns: options.peerDns, self: () => owner, log });
  if (membership.configured && !context.secretGiven) {
    throw new Error('Servers of a fleet must share one secret (it signs session tokens and the requests they pass each other): set CODE_SANDBOX_SECRET to the same value on every server.');
  }
  const frontDoor = new FleetFrontDoor({ membership, hops: new HopSigner(secret), previews, owner: () => owner, capacity });
  return {
    frontDoor,
    get owner() {
      return owner;
    },
    get advertiseUrl() {
      return advertiseUrl;
    },
    async start(host, port) {
      advertiseUrl ||= defaultAdvertiseUrl(host, port);
      owner = ownerIdOf(advertiseUrl);
      if (!membership.configured) return;
      await membership.start();
      log(`fleet: this server is ${owner} at ${advertiseUrl}; peers: ${membership.peers.map((peer) => `${peer.url} (${peer.alive ? peer.owner : 'not answering'})`).join(', ') || 'none yet'}`);
    },
    stop() {
      membership.stop();
    },
  };
}
