/**
 * The network sandboxes run on: a dedicated Docker bridge with inter-container
 * traffic off, plus host firewall rules so that a sandbox reaches the internet
 * (package registries) through the default route but never the host itself
 * (the orchestrator's ports, the Docker API if exposed, anything listening on a
 * host address) nor link-local addresses such as the cloud metadata service.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { EngineUnavailableError } from '../../engine/errors.js';

const run = promisify(execFile);

/** How the sandbox network is set up. */
export interface SandboxNetworkOptions {
  /** Docker network name (default `code-sandbox`). */
  name?: string;
  /** Linux bridge interface of that network, which the firewall rules match (default `csbx0`, at most 15 characters). */
  bridge?: string;
  /**
   * Install the iptables rules (default true). Needs root on the Docker host and
   * `iptables`; set false only when the rules are applied some other way
   * (`sandboxFirewallRules()` lists them).
   */
  firewall?: boolean;
  /** Destinations refused in addition to the host itself (default link-local `169.254.0.0/16`); add your private ranges. */
  blockedDestinations?: string[];
  /** Write the connections the firewall refuses to the kernel log, under `refusalLogPrefix(network id)` (default false). */
  logRefused?: boolean;
}

export const SANDBOX_NETWORK = 'code-sandbox';
const NETWORK_LABEL = 'dev.code-sandbox.network';

/**
 * The iptables rules (arguments after `-I`/`-C`), in the order they must end up in their chains.
 * With `logPrefix`, new connections about to be refused are first written to the kernel log
 * under that prefix, at most 10 a second per sandbox (bursts of 20).
 */
export function sandboxFirewallRules(options: SandboxNetworkOptions = {}, logPrefix?: string): string[][] {
  const bridge = options.bridge ?? 'csbx0';
  const blocked = options.blockedDestinations ?? ['169.254.0.0/16'];
  // With a prefix, each REJECT is preceded by a LOG of the same match, for new connections only.
  const logged = logPrefix
    ? ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'hashlimit', '--hashlimit-upto', '10/sec', '--hashlimit-burst', '20', '--hashlimit-mode', 'srcip', '--hashlimit-name', `cs-${bridge}`.slice(0, 15), '-j', 'LOG', '--log-prefix', logPrefix]
    : undefined;
  const refuse = (chain: string, ...match: string[]) => [...(logged ? [[chain, '-i', bridge, ...match, ...logged]] : []), [chain, '-i', bridge, ...match, '-j', 'REJECT']];
  return [
    // INPUT sees traffic to the host's own addresses (the gateway, eth0...): only answers to connections the host opened.
    ['INPUT', '-i', bridge, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    ...refuse('INPUT'),
    // DOCKER-USER (FORWARD) sees routed traffic: refuse the metadata service and other listed destinations.
    ...blocked.flatMap((destination) => refuse('DOCKER-USER', '-d', destination)),
  ];
}

/** The kernel log prefix of a network's refused connections: names the network, since every network namespace's log is the host's. */
export const refusalLogPrefix = (networkId: string): string => `csbx-refused ${networkId.slice(0, 12)}: `;

/**
 * Creates the network if missing (icc off, fixed bridge name) and installs the
 * firewall rules if asked. Idempotent and safe to run from several processes.
 * Throws `EngineUnavailableError` with the fix when it cannot.
 */
export async function ensureSandboxNetwork(docker: Docker, options: SandboxNetworkOptions = {}): Promise<string> {
  const name = options.name ?? SANDBOX_NETWORK;
  const bridge = options.bridge ?? 'csbx0';
  const wanted = { 'com.docker.network.bridge.name': bridge, 'com.docker.network.bridge.enable_icc': 'false' };
  let info = await docker.getNetwork(name).inspect().catch((error: { statusCode?: number }) => {
    if (error.statusCode === 404) return undefined;
    throw new EngineUnavailableError(`Cannot inspect the Docker network "${name}" (${(error as Error).message}). Is the Docker daemon running?`, { cause: error });
  });
  if (!info) {
    await docker
      .createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Options: wanted, Labels: { [NETWORK_LABEL]: 'sandbox' } })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 409) throw new EngineUnavailableError(`Cannot create the Docker network "${name}" (${(error as Error).message}).`, { cause: error });
      });
    info = await docker.getNetwork(name).inspect();
  }
  const actual = (info as { Options?: Record<string, string> }).Options ?? {};
  if (actual['com.docker.network.bridge.name'] !== bridge || actual['com.docker.network.bridge.enable_icc'] !== 'false') {
    throw new EngineUnavailableError(
      `The Docker network "${name}" exists but is not a sandbox network (it needs bridge name ${bridge} and inter-container traffic off). ` +
        `Remove it (docker network rm ${name}) and start again, or choose another name.`,
    );
  }
  if (options.firewall !== false) await installFirewall(sandboxFirewallRules(options, options.logRefused ? refusalLogPrefix(info.Id) : undefined));
  return name;
}

/** Inserts each rule missing from its chain (`iptables`, or `ip6tables` for IPv6), ahead of anything else, keeping their order. */
export async function installFirewall(rules: string[][], command: 'iptables' | 'ip6tables' = 'iptables'): Promise<void> {
  // Inserting at the top in reverse order leaves the rules in order, ahead of anything else.
  for (const rule of [...rules].reverse()) {
    const [chain, ...spec] = rule as [string, ...string[]];
    const present = await run(command, ['-w', '-C', chain, ...spec]).then(() => true, () => false);
    if (present) continue;
    await run(command, ['-w', '-I', chain, '1', ...spec]).catch((error: Error & { stderr?: string }) => {
      throw new EngineUnavailableError(
        `Cannot install the sandbox firewall rule "${command} -I ${rule.join(' ')}" (${(error.stderr ?? error.message).trim()}). ` +
          'Run the server as root on the Docker host with iptables installed (`npm run setup` installs it), ' +
          'or apply the rules yourself and set the network option `firewall: false`.',
        { cause: error },
      );
    });
  }
}
