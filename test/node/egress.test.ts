/**
 * Egress on real Docker through a real orchestrator and its real proxy: with
 * `registries`, a sandbox reaches an allowlisted host (a test server of this
 * suite's own, mapped to this host in the allowlist) and npm's registry through
 * the proxy, is refused anything else with a 403 that the server logs with its
 * session, and cannot go around the proxy (the firewall's refusals logged with
 * the session too); with `none` it has no network.
 */
import { createServer, type Server } from 'node:http';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import Docker from 'dockerode';
import type { Orchestrator } from '../../src/server/index.js';
import { REGISTRY_HOSTS } from '../../src/server/egress/allowlist.js';
import { REGISTRIES_NETWORK } from '../../src/server/egress/egress-network.js';
import { until } from '../contract/helpers.js';
import { probe, sh } from '../hostile/support.js';
import { remoteEngine, run, startOrchestrator } from './support/orchestrator.js';

/** An HTTP server on every address of this host (IPv4 and IPv6), answering `name`. */
async function testServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(`hello from ${name}\n`));
  server.listen(0, '::');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

/** Python's urllib (which honours http_proxy) fetching `url`: prints the status and the body. */
const pythonGet = (url: string) =>
  `python3 -c "
import urllib.request, urllib.error
try:
    r = urllib.request.urlopen('${url}', timeout=10); print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
"`;

/** A raw CONNECT to HTTPS_PROXY for `target`, with a GET sent right behind it; prints all that came back. */
const connectThroughProxy = (target: string) =>
  `node -e "
const net = require('net'); const proxy = new URL(process.env.HTTPS_PROXY);
const s = net.connect(Number(proxy.port), proxy.hostname, () => s.write('CONNECT ${target} HTTP/1.1\\r\\nHost: ${target}\\r\\n\\r\\nGET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));
let all = ''; s.on('data', (d) => (all += d)); s.on('close', () => console.log(all)); s.setTimeout(10000, () => s.destroy());
"`;

/** Sends a DNS query for example.com over UDP to each `host:port`; prints which answered. */
const dnsQueries = (targets: string[]) =>
  `node -e "
const dgram = require('dgram');
const query = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
Promise.all(${JSON.stringify(targets).replace(/"/g, "'")}.map((t) => new Promise((done) => {
  const at = t.lastIndexOf(':'); const s = dgram.createSocket(t.includes('[') ? 'udp6' : 'udp4');
  let ended = false; const end = (r) => { if (ended) return; ended = true; s.close(); done([t, r]); };
  s.on('message', () => end('ANSWERED')); s.on('error', (e) => end(e.code));
  s.send(query, Number(t.slice(at + 1)), t.slice(0, at).replace(/[\\[\\]]/g, ''), (e) => e && end(e.code));
  setTimeout(() => end('NO_ANSWER'), 2000);
}))).then((pairs) => console.log(JSON.stringify(Object.fromEntries(pairs))));
"`;

describe('egress', function () {
  this.timeout(90_000);
  const docker = new Docker();
  const logs: string[] = [];
  let allowed: { server: Server; port: number };
  let refused: { server: Server; port: number };
  let resolver: UdpSocket;
  let resolverPort: number;
  const queriesSeen: string[] = [];
  let orchestrator: Orchestrator;
  let url: string;
  let sandbox: ReturnType<typeof remoteEngine>;
  let session: string;

  before(async () => {
    [allowed, refused] = await Promise.all([testServer('the allowed server'), testServer('the refused server')]);
    // A DNS server of the suite's own, on every address: a sandbox must not get a query to it.
    resolver = createSocket({ type: 'udp6', ipv6Only: false });
    resolver.on('message', (message, from) => {
      queriesSeen.push(from.address);
      resolver.send(message, from.port, from.address);
    });
    resolver.bind(0, '::');
    await once(resolver, 'listening');
    resolverPort = resolver.address().port;
    ({ orchestrator, url } = await startOrchestrator({
      egress: 'registries',
      registryHosts: [...REGISTRY_HOSTS, `allowed.test:${allowed.port}`],
      templateEgress: { offline: 'none' },
      egressProxy: { hostAddresses: { 'allowed.test': '127.0.0.1', 'refused.test': '127.0.0.1' } },
      log: (line) => logs.push(line),
    }));
    sandbox = remoteEngine(url);
    await sandbox.boot();
    session = [...orchestrator.sessions.keys()][0]!;
  });

  after(async () => {
    await sandbox?.teardown().catch(() => undefined);
    await orchestrator?.close();
    allowed?.server.close();
    refused?.server.close();
    resolver?.close();
  });

  it('reaches an allowlisted host through the proxy, over plain HTTP and through a CONNECT tunnel', async () => {
    const plain = await sh(sandbox, pythonGet(`http://allowed.test:${allowed.port}/`));
    expect(plain.text.trim()).to.equal('200 hello from the allowed server');
    const tunnel = await sh(sandbox, connectThroughProxy(`allowed.test:${allowed.port}`));
    expect(tunnel.text).to.match(/^HTTP\/1\.1 200 Connection Established/).and.to.contain('hello from the allowed server');
  });

  it('refuses any other host, port or address with a 403 that says how to allow it, and logs each refusal with the session', async () => {
    const other = await sh(sandbox, pythonGet(`http://refused.test:${refused.port}/`));
    expect(other.text).to.match(/^403 code-sandbox: this sandbox may not reach refused\.test:\d+ \(not in the egress allowlist\)/);
    expect(other.text).to.contain(`--registry-host refused.test`);
    expect(other.text).not.to.contain('hello from');
    // Another port of the allowed host, and the allowed server by address: refused by the proxy too.
    for (const target of [`allowed.test:${refused.port}`, `127.0.0.1:${allowed.port}`]) {
      const tunnel = await sh(sandbox, connectThroughProxy(target));
      expect(tunnel.text, target).to.match(/^HTTP\/1\.1 403 Forbidden/).and.to.contain(`may not reach ${target}`);
      expect(tunnel.text, target).not.to.contain('hello from');
    }
    const refusals = logs.filter((line) => line.startsWith('egress refused:'));
    for (const target of [`refused.test:${refused.port}`, `allowed.test:${refused.port}`, `127.0.0.1:${allowed.port}`]) {
      expect(refusals.some((line) => line.includes(`session ${session} (container code-sandbox-${session},`) && line.includes(`-> ${target}:`)), `a refusal of ${target} in ${JSON.stringify(refusals)}`).to.equal(true);
    }
  });

  it('cannot go around the proxy: direct addresses, other ports, other resolvers, IPv6', async () => {
    const gateway = (await docker.getNetwork(REGISTRIES_NETWORK.name).inspect()).IPAM?.Config?.[0]?.Gateway as string;
    const proxyPort = new URL((await sh(sandbox, 'echo $HTTPS_PROXY')).text.trim()).port;
    const interfaces = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal);
    const v4 = [...new Set([gateway, ...interfaces.filter((i) => i!.family === 'IPv4').map((i) => i!.address)])];
    const v6 = interfaces.filter((i) => i!.family === 'IPv6' && !i!.address.startsWith('fe80')).map((i) => `[${i!.address}]`);
    const registry = (await lookup('registry.npmjs.org', { family: 4 })).address;
    const direct = [
      ...v4.flatMap((address) => [`${address}:${allowed.port}`, `${address}:${refused.port}`, `${address}:${new URL(url).port}`]),
      ...v6.map((address) => `${address}:${allowed.port}`),
      `${registry}:443`,
      '[2606:4700::6810:1]:443',
      '169.254.169.254:80',
    ];
    const results = await probe(sandbox, [`${gateway}:${proxyPort}`, ...direct.map((target) => target.replace(/[[\]]/g, ''))], 3000);
    expect(results[`${gateway}:${proxyPort}`], 'the proxy itself').to.equal('OPEN');
    for (const target of direct) expect(results[target.replace(/[[\]]/g, '')], target).to.be.oneOf(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'TIMEOUT']);
    // DNS: no query reaches a resolver of this host's or the internet's, and Docker's own resolver forwards nothing out.
    const dnsTargets = [...v4.map((address) => `${address}:${resolverPort}`), ...v6.map((address) => `${address}:${resolverPort}`), '8.8.8.8:53', `${gateway}:53`];
    const dns = JSON.parse((await sh(sandbox, dnsQueries(dnsTargets))).text) as Record<string, string>;
    for (const target of dnsTargets) expect(dns[target], target).not.to.equal('ANSWERED');
    expect(queriesSeen).to.deep.equal([]);
    // A lookup fails, and soon (resolver timeout 1 s, one attempt), not after Docker's 10-20 s of retries.
    const names = await sh(sandbox, `node -e "require('dns').lookup('registry.npmjs.org', (e, a) => (console.log(e ? e.code : a), process.exit())); setTimeout(() => (console.log('NO_ANSWER'), process.exit()), 5000)"`);
    expect(names.text.trim()).to.be.oneOf(['ENOTFOUND', 'EAI_AGAIN']);
    expect((await sh(sandbox, 'cat /proc/sys/net/ipv6/conf/all/disable_ipv6')).text.trim()).to.equal('1');
  });

  it('logs each connection the firewall refuses with its session, read back from the kernel log', async () => {
    const gateway = (await docker.getNetwork(REGISTRIES_NETWORK.name).inspect()).IPAM?.Config?.[0]?.Gateway as string;
    const registry = (await lookup('registry.npmjs.org', { family: 4 })).address;
    const direct = [`${registry}:443`, '169.254.169.254:80', `${gateway}:${allowed.port}`];
    await probe(sandbox, direct, 3000);
    await sh(sandbox, dnsQueries(['8.8.8.8:53']));
    const expected = [...direct, '8.8.8.8:53 (udp)'].map((target) => `-> ${target}: refused by the firewall`);
    const logged = await until(`the firewall's refusals in the server's log`, async () => {
      const lines = logs.filter((line) => line.startsWith(`egress refused: session ${session} (container code-sandbox-${session},`));
      return expected.every((text) => lines.some((line) => line.includes(text))) && lines;
    }, 15_000).catch(() => logs.filter((line) => line.startsWith('egress')));
    for (const text of expected) expect(logged.some((line) => line.includes(text)), `"${text}" in ${JSON.stringify(logged)}`).to.equal(true);
    // The earlier tests went through the proxy: the firewall let those in, so none is logged.
    const proxyPort = new URL((await sh(sandbox, 'echo $HTTPS_PROXY')).text.trim()).port;
    expect(logged.filter((line) => line.includes(`${gateway}:${proxyPort}: refused`)), 'the proxy itself').to.deep.equal([]);
  });

  it("removes the firewall rule a killed server's proxy left behind, and keeps the rules of proxies still listening", async () => {
    const gateway = (await docker.getNetwork(REGISTRIES_NETWORK.name).inspect()).IPAM?.Config?.[0]?.Gateway as string;
    const proxyPort = new URL((await sh(sandbox, 'echo $HTTPS_PROXY')).text.trim()).port;
    // A port nothing listens on, given the rule a proxy gets: what a killed server leaves.
    const free = createServer().listen(0, gateway);
    await once(free, 'listening');
    const stalePort = String((free.address() as { port: number }).port);
    free.close();
    const rule = (port: string) => ['INPUT', '-i', REGISTRIES_NETWORK.bridge, '-d', `${gateway}/32`, '-p', 'tcp', '--dport', port, '-j', 'ACCEPT'];
    const hasRule = (port: string) => run('iptables', ['-w', '-C', ...rule(port)]).then(() => true, () => false);
    await run('iptables', ['-w', '-I', ...rule(stalePort)]);
    const second = await startOrchestrator({ egress: 'registries', log: (line) => logs.push(line) });
    try {
      expect(await hasRule(stalePort), 'the stale rule').to.equal(false);
      expect(await hasRule(proxyPort), "the running server's rule").to.equal(true);
      expect(logs.some((line) => line.includes('removed the firewall rules of proxies no longer listening') && line.includes(stalePort))).to.equal(true);
      const again = await sh(sandbox, pythonGet(`http://allowed.test:${allowed.port}/`));
      expect(again.text.trim(), 'the first server still serves its sandboxes').to.equal('200 hello from the allowed server');
    } finally {
      await second.orchestrator.close();
      await run('iptables', ['-w', '-D', ...rule(stalePort)]).catch(() => undefined);
    }
  });

  it('installs a small pinned package from the npm registry through the proxy', async () => {
    const { code, text } = await sh(sandbox, 'cd /workspace && npm install --no-audit --no-fund is-number@7.0.0 2>&1 && node -p "require(\'is-number/package.json\').version"');
    expect(code, text).to.equal(0);
    expect(text.trim().split('\n').pop()).to.equal('7.0.0');
  });

  it('gives a template with egress none no network at all', async () => {
    const offline = remoteEngine(url, { template: 'offline' });
    await offline.boot();
    try {
      const { text } = await sh(offline, 'echo $(ls /sys/class/net); echo "proxy=$HTTPS_PROXY"');
      expect(text.trim().split('\n')).to.deep.equal(['lo', 'proxy=']);
      const results = await probe(offline, [`${(await lookup('registry.npmjs.org', { family: 4 })).address}:443`, `127.0.0.1:${allowed.port}`], 2000);
      for (const [target, result] of Object.entries(results)) expect(result, target).to.be.oneOf(['ENETUNREACH', 'ECONNREFUSED', 'EHOSTUNREACH']);
      const npm = await sh(offline, 'cd /workspace && timeout 20 npm install --no-audit --no-fund --fetch-retries=0 is-number@7.0.0 2>&1; echo "exit $?"');
      expect(npm.text.trim().split('\n').pop()).not.to.equal('exit 0');
    } finally {
      await offline.teardown();
    }
  });
});
