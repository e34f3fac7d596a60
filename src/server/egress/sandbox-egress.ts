/**
 * What each sandbox may reach, by egress mode (per template, over a default):
 *
 * - `all`: the internet, not this host nor link-local/metadata addresses (the
 *   `code-sandbox` network, or the `network` option's);
 * - `registries`: only the allowlisted package registries, through the
 *   orchestrator's forward proxy (forward-proxy.ts), which logs every refusal
 *   with its session; the firewall of its network (egress-network.ts) leaves
 *   no other way out, and what it refuses is logged with its session too
 *   (firewall-log.ts);
 * - `none`: no network at all (Docker's `none`). Previews still work: they
 *   reach sandbox ports through the agent, not the network.
 */
import type Docker from 'dockerode';
import { HostAllowlist } from './allowlist.js';
import { allowProxy, ensureRegistriesNetwork, removeProxyRule, removeStaleProxyRules, type RegistriesNetwork } from './egress-network.js';
import { followFirewallRefusals, type FirewallRefusal } from './firewall-log.js';
import { ForwardProxy, type EgressRefusal, type SandboxIdentity } from './forward-proxy.js';
import type { SandboxNetworkOptions } from '../local-engine/sandbox-network.js';

/** What sandboxes may reach: see the module comment. */
export type EgressMode = 'all' | 'registries' | 'none';
export const EGRESS_MODES: readonly EgressMode[] = ['all', 'registries', 'none'];

/** How `registries` egress is set up. */
export interface EgressProxyOptions {
  /** Its Docker network (default `code-sandbox-registries` on bridge `csbx1`; `firewall: false` only if you apply the rules yourself). */
  network?: Omit<SandboxNetworkOptions, 'blockedDestinations'>;
  /** The proxy's port on the network's gateway address (default 0: a free one, so several servers can share a host). */
  port?: number;
  /** Fixed addresses for allowlisted host names, as /etc/hosts gives them (an internal mirror; tests); others resolve by DNS on this host. */
  hostAddresses?: Record<string, string>;
}

/** What SandboxEgress needs from the orchestrator's options. */
export interface EgressConfig {
  egress: EgressMode;
  templateEgress: Record<string, EgressMode>;
  registryHosts: readonly string[];
  egressProxy?: EgressProxyOptions | undefined;
  /** The network of `all` egress. */
  network: string;
  log: (line: string) => void;
}

const IDENTITY_TTL_MS = 1000;

/** Throws a TypeError naming the bad value, for options and flags alike. */
export function assertEgressMode(mode: string, where: string): asserts mode is EgressMode {
  if (!(EGRESS_MODES as readonly string[]).includes(mode)) throw new TypeError(`${where} must be one of ${EGRESS_MODES.join(', ')}, not "${mode}".`);
}

export class SandboxEgress {
  readonly #docker: Docker;
  readonly #config: EgressConfig;
  readonly #sessionOf: (containerId: string) => string | undefined;
  readonly #allowlist: HostAllowlist;
  #network: RegistriesNetwork | undefined;
  #proxy: ForwardProxy | undefined;
  #port = 0;
  #firewallLog: { prefix: string; stop: () => void } | undefined;
  #containers: { at: number; byAddress: Map<string, { id: string; name: string }> } | undefined;

  /** `sessionOf(containerId)` names the session a container serves, for the refusal log. */
  constructor(docker: Docker, config: EgressConfig, sessionOf: (containerId: string) => string | undefined) {
    assertEgressMode(config.egress, 'The egress option');
    for (const [template, mode] of Object.entries(config.templateEgress)) assertEgressMode(mode, `The egress of template ${template}`);
    this.#docker = docker;
    this.#config = config;
    this.#sessionOf = sessionOf;
    this.#allowlist = new HostAllowlist(config.registryHosts);
  }

  /** The egress of a session running `template`. */
  mode(template?: string): EgressMode {
    return (template && this.#config.templateEgress[template]) || this.#config.egress;
  }

  /** The Docker network of a sandbox with egress `mode`. */
  network(mode: EgressMode): string {
    if (mode === 'none') return 'none';
    if (mode === 'all') return this.#config.network;
    if (!this.#network) throw new Error('registries egress is not set up: the orchestrator must listen first');
    return this.#network.name;
  }

  /** Environment of a sandbox with egress `mode`: the proxy, which package managers read from HTTP(S)_PROXY. */
  env(mode: EgressMode): Record<string, string> {
    if (mode !== 'registries' || !this.#network) return {};
    const proxy = `http://${this.#network.gateway}:${this.#port}`;
    const local = 'localhost,127.0.0.1,::1';
    return { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NO_PROXY: local, no_proxy: local };
  }

  /**
   * Resolver options of a sandbox with egress `mode`. With `registries` no name resolves (the
   * proxy resolves them), so a lookup should fail within a second or two, not after 10-20 s of retries.
   */
  dnsOptions(mode: EgressMode): string[] {
    return mode === 'registries' ? ['timeout:1', 'attempts:1'] : [];
  }

  /** Whether any sandbox may get `registries` egress. */
  get usesProxy(): boolean {
    return [this.#config.egress, ...Object.values(this.#config.templateEgress)].includes('registries');
  }

  /** Sets up the registries network and starts the proxy, if used (at start; again when Docker is back, which re-applies the firewall). */
  async ensure(): Promise<void> {
    if (!this.usesProxy) return;
    this.#network = await ensureRegistriesNetwork(this.#docker, this.#config.egressProxy?.network);
    if (!this.#proxy) {
      const proxy = new ForwardProxy({
        allowlist: this.#allowlist,
        identify: (address) => this.#identify(address),
        onRefused: (refusal) => this.#config.log(describeRefusal(refusal)),
        howToAllow: (host) => `start the server with --registry-host ${host} (or the registryHosts option), or give this template --template-egress <template>=all`,
        ...(this.#config.egressProxy?.hostAddresses && { hostAddresses: lowerKeys(this.#config.egressProxy.hostAddresses) }),
      });
      this.#port = await proxy.listen(this.#config.egressProxy?.port ?? 0, this.#network.gateway);
      this.#proxy = proxy;
      this.#config.log(`egress proxy for registries listening on ${this.#network.gateway}:${this.#port} (network ${this.#network.name})`);
    }
    if (this.#network.firewall) this.#followFirewall(this.#network.logPrefix);
    const stale = await removeStaleProxyRules(this.#network);
    if (stale.length) this.#config.log(`egress: removed the firewall rules of proxies no longer listening (ports ${stale.join(', ')}; their servers were killed, not closed)`);
    await allowProxy(this.#network, this.#port);
  }

  /** Stops the proxy and the kernel log reader, and takes the proxy's firewall rule away. */
  async close(): Promise<void> {
    if (!this.#proxy || !this.#network) return;
    this.#firewallLog?.stop();
    this.#firewallLog = undefined;
    await this.#proxy.close();
    await removeProxyRule(this.#network, this.#port).catch(() => undefined);
    this.#proxy = undefined;
  }

  /** Logs what the firewall refuses to this server's sessions (other servers on this host log their own); follows a recreated network's new prefix. */
  #followFirewall(prefix: string): void {
    if (this.#firewallLog?.prefix === prefix) return;
    this.#firewallLog?.stop();
    const refused = async ({ source, target }: FirewallRefusal) => {
      const sandbox = await this.#identify(source).catch(() => undefined);
      if (sandbox?.session) this.#config.log(describeRefusal({ sandbox, address: source, target, reason: 'refused by the firewall (a direct connection, not through the proxy)' }));
    };
    const stop = followFirewallRefusals(prefix, (refusal) => void refused(refusal), (reason) =>
      this.#config.log(`egress: connections the firewall refuses are not logged (cannot read the kernel log: ${reason}); run the server as root, or read them from the kernel log under "${prefix.trim()}"`),
    );
    this.#firewallLog = { prefix, stop };
  }

  /** The sandbox at `address` on the registries network (its containers listed again when unknown or older than a second). */
  async #identify(address: string): Promise<SandboxIdentity | undefined> {
    if (!this.#containers || Date.now() - this.#containers.at > IDENTITY_TTL_MS || !this.#containers.byAddress.has(address)) {
      const info = await this.#docker.getNetwork(this.#network!.name).inspect();
      const containers = Object.entries((info as { Containers?: Record<string, { Name: string; IPv4Address: string }> }).Containers ?? {});
      this.#containers = { at: Date.now(), byAddress: new Map(containers.map(([id, { Name, IPv4Address }]) => [IPv4Address.split('/')[0]!, { id, name: Name }])) };
    }
    const container = this.#containers.byAddress.get(address);
    if (!container) return undefined;
    const session = this.#sessionOf(container.id);
    return { container: container.name, ...(session && { session }) };
  }
}

function lowerKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([host, address]) => [host.toLowerCase(), address]));
}

/** One log line per refusal: which session, which container, where to, why. */
export function describeRefusal({ sandbox, address, target, reason }: EgressRefusal): string {
  const who = sandbox ? `${sandbox.session ? `session ${sandbox.session}` : 'no session'} (container ${sandbox.container}, ${address})` : `${address} (not a sandbox)`;
  return `egress refused: ${who} -> ${target}: ${reason}`;
}
