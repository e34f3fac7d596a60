/** LocalContainerEngine on the real Docker daemon: the shared contract, then what only a container engine promises. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { ContainerEngine } from '../../src/index.js';
import { DEFAULT_IMAGE, LocalContainerEngine, OWNER_LABEL, SECCOMP_PROFILE_PATH } from '../../src/server/index.js';
import { containerEngineContract } from '../contract/container-engine.contract.js';
import { rejectionOf, waitForText } from '../contract/helpers.js';
import { collectText } from '../../src/engine/observable.js';

const run = promisify(execFile);
const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? DEFAULT_IMAGE;
const OWNER = `test-${process.pid}`;

async function containersOf(filter: string): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', filter]);
  return stdout.split('\n').filter(Boolean);
}

function localEngine(options: Partial<ConstructorParameters<typeof LocalContainerEngine>[0]> = {}): LocalContainerEngine {
  return new LocalContainerEngine({ image: IMAGE, owner: OWNER, ...options });
}

containerEngineContract('LocalContainerEngine on Docker', {
  create: () => localEngine(),
  assertGone: async (engine: ContainerEngine) => {
    const id = (engine as LocalContainerEngine).containerId;
    expect(id, 'the engine had a container').to.be.a('string');
    expect(await containersOf(`id=${id}`)).to.deep.equal([]);
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
    expect(await containersOf(`label=${OWNER_LABEL}=${OWNER}`), 'containers left by this test run').to.deep.equal([]);
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
    expect(error.message).to.contain('0.0.0.0').and.to.contain('waiting');
  });

  it('runs with no network when asked, and says why a dev server cannot start', async () => {
    const offline = localEngine({ network: 'none' });
    await offline.boot();
    try {
      const probe = await offline.exec('sh', ['-c', 'cat /sys/class/net/*/operstate 2>/dev/null | wc -l; ls /sys/class/net']);
      expect((await collectText(probe.stream)).trim().split('\n').pop()).to.equal('lo');
      const error = await rejectionOf(() => offline.startDevServer({ command: 'true' }));
      expect(error.message).to.contain('network "bridge"');
    } finally {
      await offline.teardown();
    }
  });
});
