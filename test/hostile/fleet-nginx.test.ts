/**
 * The fleet for real: Debian's nginx, configured as deploy/nginx/code-sandbox.conf
 * tells operators, in front of three servers, each in a network namespace of its
 * own driving its own dockerd (test hosts this suite makes and removes). Sessions
 * are created, used and ended through the load balancer across all three; one
 * server is killed mid-run and restarted.
 */
import '../node/support/localhost-resolver.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { collectText, type RemoteContainerEngine } from '../../src/index.js';
import { until } from '../contract/helpers.js';
import { freePort, startFleetServer, type FleetServer } from '../node/support/fleet-server.js';
import { remoteEngine, run } from '../node/support/orchestrator.js';

/** A small image (no Node.js): loading the default one into three daemons costs minutes. The dev server is a static Go binary. */
const IMAGE = 'code-sandbox/minimal:trixie';
const SECRET = 'fleet-nginx-secret-0123456789';
const TAG = String(process.pid % 1000);
const DIR = `/var/tmp/code-sandbox-fleet-${TAG}`;
const HOSTS = 'test/hostile/fleet-hosts.sh';

interface Host {
  netns: string;
  address: string;
  dockerHost: string;
}

/** The operators' nginx configuration, with this suite's servers and port. */
function nginxConfig(hosts: Host[], port: number): string {
  const deploy = readFileSync('deploy/nginx/code-sandbox.conf', 'utf8')
    .replace(/(?:^ *server [\d.]+:8787 .*\n)+/m, hosts.map((h) => `    server ${h.address}:8787 max_fails=1 fail_timeout=10s;\n`).join(''))
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${DIR}/nginx/${name};`).join('\n  ');
  return `worker_processes 1;\npid ${DIR}/nginx/nginx.pid;\nerror_log ${DIR}/nginx/error.log;\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n${deploy}\n}\n`;
}

async function ownerOf(engine: RemoteContainerEngine): Promise<string> {
  return engine.sessionId!.slice(0, 6);
}

async function sandboxContainers(host: Host): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', 'label=dev.code-sandbox.owner'], { env: { ...process.env, DOCKER_HOST: host.dockerHost } });
  return stdout.split('\n').filter(Boolean);
}

async function hmr(url: string, previewHost: string): Promise<string> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/`, { headers: { host: previewHost } });
  const [data] = (await once(socket, 'message')) as [Buffer];
  socket.terminate();
  return data.toString();
}

describe('a fleet of three servers behind nginx, each on its own Docker daemon', function () {
  this.timeout(600_000);
  let hosts: Host[] = [];
  let nginx: ChildProcess | undefined;
  let lb: string;
  let devServer: Buffer;
  const servers: FleetServer[] = [];
  const engines: RemoteContainerEngine[] = [];
  const owners = new Map<string, number>();

  function startServer(index: number): Promise<FleetServer> {
    const host = hosts[index]!;
    const peers = hosts.filter((other) => other !== host).flatMap((other) => ['--peer', `http://${other.address}:8787`]);
    const lbPort = new URL(lb).port;
    return startFleetServer({
      host: host.address,
      port: 8787,
      owner: `fleet-nginx-${index}`,
      secret: SECRET,
      prefix: ['nsenter', `--net=/run/netns/${host.netns}`],
      env: { DOCKER_HOST: host.dockerHost },
      args: [
        ...peers,
        ...['--public-url', lb, '--preview-url', `http://{session}-{port}.localhost:${lbPort}/`, '--image', IMAGE],
        ...['--max-sessions', '4', '--max-sessions-per-address', '100', '--creates-per-minute', '1000'],
      ],
    });
  }

  /** A reader's session through the load balancer, with the dev server in it. */
  async function reader(): Promise<RemoteContainerEngine> {
    const engine = remoteEngine(lb);
    engines.push(engine);
    await engine.boot();
    await engine.writeFile('dev-server', devServer);
    const chmod = await engine.exec('chmod', ['+x', 'dev-server']);
    expect(await chmod.exit).to.equal(0);
    return engine;
  }

  before(async function () {
    this.timeout(900_000);
    const started = Date.now();
    const { stdout } = await run('bash', [HOSTS, 'up', DIR, TAG, '3', IMAGE], { maxBuffer: 1 << 20 });
    hosts = stdout.trim().split('\n').map((line) => {
      const [netns, address, dockerHost] = line.split(' ') as [string, string, string];
      return { netns, address, dockerHost };
    });
    console.log(`      (three test hosts with dockerd and ${IMAGE} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    await run('go', ['build', '-o', `${DIR}/dev-server`, '.'], { cwd: 'test/hostile/fleet-dev-server', env: { ...process.env, CGO_ENABLED: '0' } });
    devServer = readFileSync(`${DIR}/dev-server`);
    const port = await freePort();
    lb = `http://127.0.0.1:${port}`;
    mkdirSync(join(DIR, 'nginx'), { recursive: true });
    writeFileSync(join(DIR, 'nginx', 'nginx.conf'), nginxConfig(hosts, port));
    nginx = spawn('nginx', ['-p', join(DIR, 'nginx'), '-c', join(DIR, 'nginx', 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
    for (let i = 0; i < hosts.length; i++) servers.push(await startServer(i));
    await until('every server to be ready through its peers', async () => {
      const answers = await Promise.all(servers.map((server) => fetch(`${server.url}/healthz`).then((r) => r.json() as Promise<{ owner: string }>)));
      answers.forEach((answer, index) => owners.set(answer.owner, index));
      return (await fetch(`${lb}/readyz`).catch(() => undefined))?.ok;
    }, 30_000);
  });

  after(async function () {
    this.timeout(300_000);
    await Promise.all(engines.map((engine) => engine.teardown().catch(() => undefined)));
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    nginx?.kill();
    await run('bash', [HOSTS, 'down', DIR, TAG, '3']);
  });

  it('creates, uses and ends sessions on all three through the load balancer (exec, files, a preview and its HMR WebSocket)', async () => {
    const readers = new Map<string, RemoteContainerEngine>();
    while (readers.size < 3) {
      const engine = await reader();
      const owner = await ownerOf(engine);
      if (readers.has(owner)) await engine.teardown();
      else readers.set(owner, engine);
    }
    expect([...readers.keys()].sort()).to.deep.equal([...owners.keys()].sort());
    for (const [owner, engine] of readers) {
      await engine.writeFile('note.txt', `owned by ${owner}`);
      const echoed = await engine.exec('sh', ['-c', 'cat note.txt; echo; echo $((6 * 7))']);
      expect(await collectText(echoed.stream)).to.equal(`owned by ${owner}\n42\n`);
      const preview = await engine.startDevServer({ command: './dev-server', port: 3000 });
      const previewHost = new URL(preview.url).host;
      expect(new URL(preview.url).port).to.equal(new URL(lb).port);
      for (let i = 0; i < 3; i++) {
        const headers = (await (await fetch(preview.url)).json()) as Record<string, string>;
        expect(headers).to.include({ host: 'localhost:3000', 'x-forwarded-host': previewHost });
        expect(await hmr(lb, previewHost)).to.equal('hmr:connected');
      }
      await preview.process.kill();
    }
    for (const engine of readers.values()) await engine.teardown();
    for (const host of hosts) await until(`${host.address}'s sandboxes to be removed`, async () => (await sandboxContainers(host)).length === 0, 30_000);
  });

  it('loses only a killed server\'s sessions: its readers are told, the others keep running, new sessions land on the living, a restart leaves nothing', async () => {
    const readers = new Map<string, RemoteContainerEngine>();
    while (readers.size < 3) {
      const engine = remoteEngine(lb);
      engines.push(engine);
      await engine.boot();
      const owner = await ownerOf(engine);
      if (readers.has(owner)) await engine.teardown();
      else readers.set(owner, engine);
    }
    const victimIndex = 1;
    const victimOwner = [...owners].find(([, index]) => index === victimIndex)![0];
    const victim = readers.get(victimOwner)!;
    const ticking = await victim.exec('sh', ['-c', 'while true; do echo tick; sleep 0.2; done']);
    const printed = collectText(ticking.stream);
    const others = [...readers].filter(([owner]) => owner !== victimOwner).map(([, engine]) => engine);
    const running = await Promise.all(others.map((engine) => engine.exec('sh', ['-c', 'for i in $(seq 1 40); do echo beat $i; sleep 0.25; done'])));
    await servers[victimIndex]!.stop('SIGKILL');
    expect(await printed).to.contain('tick').and.to.contain('The sandbox server running this session has stopped');
    expect(victim.status).to.equal('failed');
    // The others' processes ran on to their end, output whole.
    for (const process of running) expect(await collectText(process.stream)).to.contain('beat 40');
    for (let i = 0; i < 4; i++) {
      const fresh = remoteEngine(lb);
      engines.push(fresh);
      await fresh.boot();
      expect(await ownerOf(fresh)).to.not.equal(victimOwner);
      const said = await fresh.exec('sh', ['-c', 'echo alive']);
      expect((await collectText(said.stream)).trim()).to.equal('alive');
      await fresh.teardown();
    }
    const victimHost = hosts[victimIndex]!;
    expect(await sandboxContainers(victimHost), 'a killed server leaves its sandbox behind').to.not.deep.equal([]);
    servers[victimIndex] = await startServer(victimIndex);
    expect(await sandboxContainers(victimHost), 'the restarted server removed it').to.deep.equal([]);
    await until('the load balancer to send sessions to it again', async () => {
      const engine = remoteEngine(lb);
      engines.push(engine);
      await engine.boot();
      await engine.teardown();
      return (await ownerOf(engine)) === victimOwner;
    }, 60_000);
  });
});
