/**
 * The fleet rig of the nginx suite and the fleet bench: N test hosts (network
 * namespaces, each with its own dockerd: fleet-hosts.sh), a code-sandbox server
 * on each, and Debian's nginx in front, configured as deploy/nginx/code-sandbox.conf
 * tells operators. `close()` removes all of it, also after a failed start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../contract/helpers.js';
import { freePort, startFleetServer, type FleetServer } from '../node/support/fleet-server.js';
import { run } from '../node/support/orchestrator.js';

const HOSTS = 'test/hostile/fleet-hosts.sh';
const SECRET = 'fleet-rig-secret-0123456789';

export interface Host {
  netns: string;
  address: string;
  dockerHost: string;
}

export interface FleetRig {
  hosts: Host[];
  /** The load balancer's base URL. */
  lb: string;
  servers: FleetServer[];
  /** Each server's owner id, with its index. */
  owners: Map<string, number>;
  /** Starts (or restarts) server `index` on its host, a peer of the others behind the load balancer unless `alone`. */
  startServer(index: number, options?: { alone?: boolean }): Promise<FleetServer>;
  /** Sandbox containers on `host`'s daemon. */
  sandboxes(host: Host): Promise<string[]>;
  close(): Promise<void>;
}

/** The operators' nginx configuration, with these servers and port. */
function nginxConfig(dir: string, hosts: Host[], port: number): string {
  const deploy = readFileSync('deploy/nginx/code-sandbox.conf', 'utf8')
    .replace(/(?:^ *server [\d.]+:\d+ .*\n)+/m, hosts.map((h) => `    server ${h.address}:8787 max_fails=1 fail_timeout=10s;\n`).join(''))
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${dir}/nginx/${name};`).join('\n  ');
  return `worker_processes 1;\npid ${dir}/nginx/nginx.pid;\nerror_log ${dir}/nginx/error.log;\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n${deploy}\n}\n`;
}

export async function startFleetRig(options: { count: number; image: string; args: string[]; log?: (line: string) => void }): Promise<FleetRig> {
  const tag = String(process.pid % 1000);
  const dir = `/var/tmp/code-sandbox-fleet-${tag}`;
  const servers: FleetServer[] = [];
  let nginx: ChildProcess | undefined;
  const close = async () => {
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    nginx?.kill();
    await run('bash', [HOSTS, 'down', dir, tag, String(options.count)]);
  };
  try {
    const started = Date.now();
    const { stdout } = await run('bash', [HOSTS, 'up', dir, tag, String(options.count), options.image], { maxBuffer: 1 << 20 });
    const hosts = stdout.trim().split('\n').map((line) => {
      const [netns, address, dockerHost] = line.split(' ') as [string, string, string];
      return { netns, address, dockerHost };
    });
    options.log?.(`${options.count} test hosts with dockerd and ${options.image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const port = await freePort();
    const lb = `http://127.0.0.1:${port}`;
    mkdirSync(join(dir, 'nginx'), { recursive: true });
    writeFileSync(join(dir, 'nginx', 'nginx.conf'), nginxConfig(dir, hosts, port));
    nginx = spawn('nginx', ['-p', join(dir, 'nginx'), '-c', join(dir, 'nginx', 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
    const startServer = async (index: number, { alone = false } = {}) => {
      const host = hosts[index]!;
      const peers = alone ? [] : hosts.filter((other) => other !== host).flatMap((other) => ['--peer', `http://${other.address}:8787`]);
      const server = await startFleetServer({
        host: host.address,
        port: 8787,
        owner: `fleet-rig-${index}`,
        secret: SECRET,
        prefix: ['nsenter', `--net=/run/netns/${host.netns}`],
        env: { DOCKER_HOST: host.dockerHost },
        // Alone, readers reach it straight (a baseline); in the fleet, through the load balancer.
        args: [...peers, ...(alone ? [] : ['--public-url', lb, '--preview-url', `http://{session}-{port}.localhost:${port}/`]), '--image', options.image, ...options.args],
      });
      servers[index] = server;
      return server;
    };
    for (let i = 0; i < hosts.length; i++) await startServer(i);
    const owners = new Map<string, number>();
    await until('every server to answer through the load balancer', async () => {
      const answers = await Promise.all(servers.map((server) => fetch(`${server.url}/healthz`).then((r) => r.json() as Promise<{ owner: string }>)));
      answers.forEach((answer, index) => owners.set(answer.owner, index));
      return (await fetch(`${lb}/readyz`).catch(() => undefined))?.ok;
    }, 30_000);
    const sandboxes = async (host: Host) => {
      const { stdout: ids } = await run('docker', ['ps', '-aq', '--filter', 'label=dev.code-sandbox.owner'], { env: { ...process.env, DOCKER_HOST: host.dockerHost } });
      return ids.split('\n').filter(Boolean);
    };
    return { hosts, lb, servers, owners, startServer, sandboxes, close };
  } catch (error) {
    await close();
    throw error;
  }
}
