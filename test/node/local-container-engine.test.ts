/** LocalContainerEngine on the real Docker daemon: the shared contract, then what only a container engine promises. */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { ContainerEngine } from '../../src/index.js';
import { LocalContainerEngine, OWNER_LABEL, SECCOMP_PROFILE_PATH } from '../../src/server/index.js';
import { containerEngineContract } from '../contract/container-engine.contract.js';
import { once } from 'node:events';
import { rejectionOf, until, waitForText } from '../contract/helpers.js';
import { collectText } from '../../src/engine/observable.js';
import { containers, IMAGE, run, RUNTIME, runtimeOption, testOwner } from './support/orchestrator.js';

const OWNER = testOwner('local');

function localEngine(options: Partial<ConstructorParameters<typeof LocalContainerEngine>[0]> = {}): LocalContainerEngine {
  return new LocalContainerEngine({ image: IMAGE, owner: OWNER, ...runtimeOption, ...options });
}

containerEngineContract(`LocalContainerEngine on Docker (${RUNTIME ?? 'runc'})`, {
  create: () => localEngine(),
  assertGone: async (engine: ContainerEngine) => {
    const id = (engine as LocalContainerEngine).containerId;
    expect(id, 'the engine had a container').to.be.a('string');
    expect(await containers(`id=${id}`)).to.deep.equal([]);
  },
  python: true,
  registry: true,
});

describe('LocalContainerEngine', function () {
  this.timeout(60_000);
  let engine: LocalContainerEngine;

  before(async () => {
    engine = localEngine();
    await engine.boot();
  });
  after(async () => {
    await engine?.teardown();
    expect(await containers(`label=${OWNER_LABEL}=${OWNER}`), 'containers left by this test run').to.deep.equal([]);
  });

  it('runs hardened: unprivileged, no capabilities, read-only root, limits set, seccomp without ptrace', async () => {
    const { stdout } = await run('docker', ['inspect', engine.containerId!, '--format',
      '{{.Config.User}} {{.HostConfig.CapDrop}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.PidsLimit}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}']);
    expect(stdout.trim()).to.equal('1000:1000 [ALL] true 256 1073741824 1000000000');
    const securityOpt = JSON.parse((await run('docker', ['inspect', engine.containerId!, '--format', '{{json .HostConfig.SecurityOpt}}'])).stdout) as string[];
    expect(securityOpt[0]).to.equal('no-new-privileges');
    expect(securityOpt[1], 'the profile setup.sh installs').to.equal(`seccomp=${readFileSync(SECCOMP_PROFILE_PATH, 'utf8')}`);
    const probe = await engine.exec('sh', ['-c', 'id -u; grep CapEff /proc/self/status; touch /etc/x 2>&1 || echo read-only']);
    const text = await collectText(probe.stream);
    expect(text).to.match(/^1000\n/);
    expect(text).to.match(/CapEff:\s+0000000000000000/);
    expect(text).to.contain('read-only');
  });

  it('kills the children of a killed process too', async () => {
    const parent = await engine.exec('sh', ['-c', 'sleep 300 & sleep 301 & echo started; wait']);
    await waitForText(parent.stream, (text) => text.includes('started'));
    await parent.kill('SIGKILL');
    await parent.exit;
    const ps = await engine.exec('sh', ['-c', 'ps -eo args']);
    expect(await collectText(ps.stream)).not.to.match(/sleep 30[01]/);
  });

  it('refuses a file over the size limit and writes nothing', async () => {
    const small = localEngine({ limits: { fileBytes: 1024 } });
    await small.boot();
    try {
      const error = await rejectionOf(() => small.writeFile('big.txt', 'x'.repeat(2048)));
      expect(error).to.have.property('code', 'LIMIT_EXCEEDED');
      expect(error.message).to.match(/limits\.fileBytes/);
      expect(await rejectionOf(() => small.readFile('big.txt'))).to.have.property('code', 'FILE_NOT_FOUND');
    } finally {
      await small.teardown();
    }
  });

  it('says how to fix a missing image', async () => {
    const missing = localEngine({ image: 'code-sandbox/does-not-exist:1' });
    const error = await rejectionOf(() => missing.boot());
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error.message).to.contain('docker pull code-sandbox/does-not-exist:1');
    expect(missing.status).to.equal('failed');
  });

  it('says how to fix an unreachable daemon', async () => {
    const Docker = (await import('dockerode')).default;
    const unreachable = localEngine({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) });
    const error = await rejectionOf(() => unreachable.boot());
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error.message).to.contain('DOCKER_HOST');
  });

  it('times out a dev server that never listens, with its output', async () => {
    const error = await rejectionOf(() => engine.startDevServer({ command: 'echo waiting; sleep 60', timeout: 1500 }));
    expect(error).to.have.property('code', 'DEV_SERVER_FAILED');
    expect(error.message).to.contain('did not answer HTTP').and.to.contain('no port is listening').and.to.contain('waiting');
  });

  it('finds a dev server on any port and address, whatever PORT said, and reports the port opening and closing', async () => {
    const events: unknown[] = [];
    const subscription = engine.ports.subscribe((event) => events.push(event));
    await engine.writeFile('loopback.js', "require('http').createServer((req, res) => res.end('on ' + req.headers.host)).listen(3111, '127.0.0.1')");
    const server = await engine.startDevServer({ command: 'node loopback.js', port: 3000 });
    expect(server.port).to.equal(3111);
    expect(engine.openPorts).to.include(3111);
    expect(await (await fetch(server.url)).text()).to.match(/^on /);
    await server.process.kill();
    await server.process.exit;
    await until('the port to close', async () => !engine.openPorts.includes(3111));
    subscription.unsubscribe();
    expect(events).to.deep.equal([{ port: 3111, state: 'open' }, { port: 3111, state: 'closed' }]);
  });

  it('connects to a port inside the sandbox, and refuses one nothing listens on', async () => {
    const server = await engine.exec('node', ['-e', "require('net').createServer((s) => s.pipe(s)).listen(4999, '127.0.0.1', () => console.log('listening'))"]);
    await waitForText(server.stream, (text) => text.includes('listening'));
    const socket = await engine.connect(4999);
    socket.write('echo through the agent');
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    expect(echoed.toString()).to.equal('echo through the agent');
    socket.destroy();
    await server.kill('SIGKILL');
    await server.exit; // kill() resolves once the signal is sent; the port closes with the process
    expect(await rejectionOf(() => engine.connect(4999))).to.have.property('code', 'ECONNREFUSED');
  });

  it('runs with no network when asked, and still serves a dev server through the agent', async () => {
    const offline = localEngine({ network: 'none' });
    await offline.boot();
    try {
      // /proc/net/dev lists the interfaces under runc and gVisor alike (gVisor has no /sys/class/net).
      const probe = await offline.exec('sh', ['-c', "awk -F: 'NR > 2 { print $1 }' /proc/net/dev | tr -d ' '"]);
      expect((await collectText(probe.stream)).trim()).to.equal('lo');
      const server = await offline.startDevServer({ command: `node -e "require('http').createServer((q, s) => s.end('offline')).listen(8123, '127.0.0.1')"` });
      expect(await (await fetch(server.url)).text()).to.equal('offline');
    } finally {
      await offline.teardown();
    }
  });
});
