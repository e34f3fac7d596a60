/**
 * The fleet for real: Debian's nginx, configured as deploy/nginx/code-sandbox.conf
 * tells operators, in front of three servers, each in a network namespace of its
 * own driving its own dockerd (test hosts this suite makes and removes). Sessions
 * are created, used and ended through the load balancer across all three; one
 * server is killed mid-run and restarted.
 */
import '../node/support/localhost-resolver.js';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { collectText, type RemoteContainerEngine } from '../../src/index.js';
import { until } from '../contract/helpers.js';
import { hmr } from '../node/support/fleet-server.js';
import { remoteEngine, run } from '../node/support/orchestrator.js';
import { startFleetRig, type FleetRig } from './fleet-rig.js';

/** A small image (no Node.js): loading the default one into three daemons costs minutes. The dev server is a static Go binary. */
const IMAGE = 'code-sandbox/minimal:trixie';

function ownerOf(engine: RemoteContainerEngine): string {
  return engine.sessionId!.slice(0, 6);
}

describe('a fleet of three servers behind nginx, each on its own Docker daemon', function () {
  this.timeout(600_000);
  let rig: FleetRig;
  let devServer: Buffer;
  const engines: RemoteContainerEngine[] = [];

  /** A reader's session through the load balancer, with the dev server in it. */
  async function reader(): Promise<RemoteContainerEngine> {
    const engine = remoteEngine(rig.lb);
    engines.push(engine);
    await engine.boot();
    await engine.writeFile('dev-server', devServer);
    const chmod = await engine.exec('chmod', ['+x', 'dev-server']);
    expect(await chmod.exit).to.equal(0);
    return engine;
  }

  /** Readers through the load balancer until one runs on each server (the extra ones ended). */
  async function oneReaderPerServer(make: () => Promise<RemoteContainerEngine>): Promise<Map<string, RemoteContainerEngine>> {
    const readers = new Map<string, RemoteContainerEngine>();
    while (readers.size < rig.servers.length) {
      const engine = await make();
      if (readers.has(ownerOf(engine))) await engine.teardown();
      else readers.set(ownerOf(engine), engine);
    }
    return readers;
  }

  before(async function () {
    this.timeout(900_000);
    const binary = join(tmpdir(), `fleet-dev-server-${process.pid}`);
    await run('go', ['build', '-o', binary, '.'], { cwd: 'test/hostile/fleet-dev-server', env: { ...process.env, CGO_ENABLED: '0' } });
    devServer = readFileSync(binary);
    await run('rm', ['-f', binary]);
    rig = await startFleetRig({
      count: 3,
      image: IMAGE,
      args: ['--max-sessions', '4', '--max-sessions-per-address', '100', '--creates-per-minute', '1000'],
      log: (line) => console.log(`      (${line})`),
    });
  });

  after(async function () {
    this.timeout(300_000);
    await Promise.all(engines.map((engine) => engine.teardown().catch(() => undefined)));
    await rig?.close();
  });

  it('creates, uses and ends sessions on all three through the load balancer (exec, files, a preview and its HMR WebSocket)', async () => {
    const readers = await oneReaderPerServer(reader);
    expect([...readers.keys()].sort()).to.deep.equal([...rig.owners.keys()].sort());
    for (const [owner, engine] of readers) {
      await engine.writeFile('note.txt', `owned by ${owner}`);
      const echoed = await engine.exec('sh', ['-c', 'cat note.txt; echo; echo $((6 * 7))']);
      expect(await collectText(echoed.stream)).to.equal(`owned by ${owner}\n42\n`);
      const preview = await engine.startDevServer({ command: './dev-server', port: 3000 });
      const previewHost = new URL(preview.url).host;
      expect(new URL(preview.url).port).to.equal(new URL(rig.lb).port);
      for (let i = 0; i < 3; i++) {
        const headers = (await (await fetch(preview.url)).json()) as Record<string, string>;
        expect(headers).to.include({ host: 'localhost:3000', 'x-forwarded-host': previewHost });
        expect(await hmr(rig.lb, previewHost)).to.equal('hmr:connected');
      }
      await preview.process.kill();
    }
    for (const engine of readers.values()) await engine.teardown();
    for (const host of rig.hosts) await until(`${host.address}'s sandboxes to be removed`, async () => (await rig.sandboxes(host)).length === 0, 30_000);
  });

  it('loses only a killed server\'s sessions: its readers are told, the others keep running, new sessions land on the living, a restart leaves nothing', async () => {
    const readers = await oneReaderPerServer(async () => {
      const engine = remoteEngine(rig.lb);
      engines.push(engine);
      await engine.boot();
      return engine;
    });
    const victimIndex = 1;
    const victimOwner = [...rig.owners].find(([, index]) => index === victimIndex)![0];
    const victim = readers.get(victimOwner)!;
    const ticking = await victim.exec('sh', ['-c', 'while true; do echo tick; sleep 0.2; done']);
    const printed = collectText(ticking.stream);
    const others = [...readers].filter(([owner]) => owner !== victimOwner).map(([, engine]) => engine);
    const running = await Promise.all(others.map((engine) => engine.exec('sh', ['-c', 'for i in $(seq 1 40); do echo beat $i; sleep 0.25; done'])));
    await rig.servers[victimIndex]!.stop('SIGKILL');
    expect(await printed).to.contain('tick').and.to.contain('The sandbox server running this session has stopped');
    expect(victim.status).to.equal('failed');
    // The others' processes ran on to their end, output whole.
    for (const process of running) expect(await collectText(process.stream)).to.contain('beat 40');
    for (let i = 0; i < 4; i++) {
      const fresh = remoteEngine(rig.lb);
      engines.push(fresh);
      await fresh.boot();
      expect(ownerOf(fresh)).to.not.equal(victimOwner);
      const said = await fresh.exec('sh', ['-c', 'echo alive']);
      expect((await collectText(said.stream)).trim()).to.equal('alive');
      await fresh.teardown();
    }
    const victimHost = rig.hosts[victimIndex]!;
    expect(await rig.sandboxes(victimHost), 'a killed server leaves its sandbox behind').to.not.deep.equal([]);
    await rig.startServer(victimIndex);
    expect(await rig.sandboxes(victimHost), 'the restarted server removed it').to.deep.equal([]);
    // nginx routes to it again (round robin: a few requests reach every server).
    await until('the load balancer to route to it again', async () => ((await (await fetch(`${rig.lb}/healthz`)).json()) as { owner: string }).owner === victimOwner, 60_000);
  });
});
