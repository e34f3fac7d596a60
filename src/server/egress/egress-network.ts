/**
 * The network of sandboxes with `registries` egress: a sandbox bridge like
 * `code-sandbox` whose firewall forwards nothing at all (no route out, no DNS
 * to anywhere, IPv6 refused too) and lets in, on this host, only the egress
 * proxy's port on the bridge's own address. So the proxy is the only way out,
 * whatever a sandbox's processes try (direct addresses, other ports, other
 * resolvers, IPv6). What it refuses is written to the kernel log, for the
 * server to name the session (firewall-log.ts).
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { EngineUnavailableError } from '../../engine/errors.js';
import { ensureSandboxNetwork, installFirewall, refusalLogPrefix, type SandboxNetworkOptions } from '../local-engine/sandbox-network.js';

const run = promisify(execFile);

/** The defaults of the `registries` network. */
export const REGISTRIES_NETWORK = { name: 'code-sandbox-registries', bridge: 'csbx1' } as const;

/** Where the registries network is, once set up. */
export interface RegistriesNetwork {
  name: string;
  bridge: string;
  /** The bridge's address on this host: where the proxy listens. */
  gateway: string;
  firewall: boolean;
  /** The kernel log prefix of the connections its firewall refuses (see firewall-log.ts). */
  logPrefix: string;
}

/** Creates the network and its firewall if missing (idempotent); throws `EngineUnavailableError` with the fix when it cannot. */
export async function ensureRegistriesNetwork(docker: Docker, options: SandboxNetworkOptions = {}): Promise<RegistriesNetwork> {
  const bridge = options.bridge ?? REGISTRIES_NETWORK.bridge;
  const firewall = options.firewall !== false;
  // Forwarding nothing (0.0.0.0/0 refused) is what makes the proxy the only way out.
  const name = await ensureSandboxNetwork(docker, { ...options, name: options.name ?? REGISTRIES_NETWORK.name, bridge, blockedDestinations: ['0.0.0.0/0'], logRefused: true });
  if (firewall) {
    await installFirewall([['INPUT', '-i', bridge, '-j', 'REJECT'], ['FORWARD', '-i', bridge, '-j', 'REJECT']], 'ip6tables');
  }
  const info = await docker.getNetwork(name).inspect();
  const gateway = (info as { IPAM?: { Config?: { Gateway?: string }[] } }).IPAM?.Config?.find((config) => config.Gateway && !config.Gateway.includes(':'))?.Gateway;
  if (!gateway) throw new EngineUnavailableError(`The Docker network "${name}" has no IPv4 gateway for the egress proxy to listen on. Remove it (docker network rm ${name}) and start again.`);
  return { name, bridge, gateway, firewall, logPrefix: refusalLogPrefix(info.Id) };
}

/** The rule that lets sandboxes on the bridge reach the proxy (and nothing else on this host). */
function proxyRule(network: RegistriesNetwork, port: number): string[] {
  return ['INPUT', '-i', network.bridge, '-d', `${network.gateway}/32`, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT'];
}

/** Lets the proxy's port in, ahead of the bridge's REJECT (re-inserted at the top, so it stays ahead after the others are re-applied). */
export async function allowProxy(network: RegistriesNetwork, port: number): Promise<void> {
  if (!network.firewall) return;
  await removeProxyRule(network, port);
  await installFirewall([proxyRule(network, port)]);
}

/**
 * Takes away the proxy rules of servers that were killed rather than closed: a rule
 * is added only once its proxy listens, so a port on the gateway that refuses
 * connections has no proxy left, and its rule would let in whatever binds it next.
 */
export async function removeStaleProxyRules(network: RegistriesNetwork): Promise<number[]> {
  if (!network.firewall) return [];
  const { stdout } = await run('iptables', ['-w', '-S', 'INPUT']);
  const ports = stdout
    .split('\n')
    .map((line) => /^-A INPUT -d ([\d.]+)\/32 -i (\S+) -p tcp -m tcp --dport (\d+) -j ACCEPT$/.exec(line.trim()))
    .filter((match) => match && match[1] === network.gateway && match[2] === network.bridge)
    .map((match) => Number(match![3]));
  const stale: number[] = [];
  for (const port of ports) if (await refuses(network.gateway, port)) stale.push(port);
  for (const port of stale) await removeProxyRule(network, port);
  return stale;
}

/** Whether nothing listens on `host:port` (a refused connection; a timeout counts as listening). */
function refuses(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (refused: boolean) => (socket.destroy(), resolve(refused));
    socket.once('connect', () => done(false));
    socket.once('timeout', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}

/** Takes the proxy's rule away again (at close). */
export async function removeProxyRule(network: RegistriesNetwork, port: number): Promise<void> {
  if (!network.firewall) return;
  const [chain, ...spec] = proxyRule(network, port) as [string, ...string[]];
  while (await run('iptables', ['-w', '-D', chain, ...spec]).then(() => true, () => false));
}
