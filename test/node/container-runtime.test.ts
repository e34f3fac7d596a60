/**
 * The OCI runtime sandboxes run under (issue 17): runc, or gVisor's runsc when
 * the suites run with CS_RUNTIME=runsc (scripts/test.mjs does). The server says
 * which one at start and in /healthz, and refuses one the daemon does not know.
 */
import { release } from 'node:os';
import { expect } from 'chai';
import { collectText } from '../../src/engine/observable.js';
import { createOrchestrator, LocalContainerEngine } from '../../src/server/index.js';
import { rejectionOf } from '../contract/helpers.js';
import { IMAGE, RUNTIME, runtimeOption, startOrchestrator, testOwner } from './support/orchestrator.js';

describe('container runtime', function () {
  this.timeout(60_000);

  it(`runs the sandbox on ${RUNTIME === 'runsc' ? "gVisor's kernel" : "the host's kernel"} (${RUNTIME ?? 'runc'})`, async () => {
    const engine = new LocalContainerEngine({ image: IMAGE, owner: testOwner('runtime'), ...runtimeOption });
    await engine.boot();
    try {
      const probe = await engine.exec('sh', ['-c', 'uname -r; dmesg 2>&1 | head -n 3']);
      const [kernel, ...dmesg] = (await collectText(probe.stream)).trim().split('\n');
      if (RUNTIME === 'runsc') {
        expect(kernel, 'gVisor reports its own kernel release').not.to.equal(release());
        expect(dmesg.join('\n')).to.contain('gVisor');
      } else {
        expect(kernel).to.equal(release());
      }
    } finally {
      await engine.teardown();
    }
  });

  it('says at start and in /healthz which runtime sandboxes use', async () => {
    const logs: string[] = [];
    const { orchestrator, url } = await startOrchestrator({ log: (line) => logs.push(line) });
    try {
      const name = RUNTIME ?? 'runc';
      expect(logs.find((line) => line.startsWith('listening on'))).to.contain(`sandboxes run under ${name}`);
      if (RUNTIME === 'runsc') expect(logs.join('\n')).to.contain('runsc (gVisor');
      const health = (await (await fetch(`${url}/healthz`)).json()) as { runtime: string };
      expect(health.runtime).to.equal(name);
    } finally {
      await orchestrator.close();
    }
  });

  it('refuses to start with a runtime the daemon does not know, saying how to get it', async () => {
    const orchestrator = createOrchestrator({ runtime: 'runsc-nowhere', owner: testOwner('runtime-missing'), log: () => undefined });
    const error = await rejectionOf(() => orchestrator.listen(0));
    await orchestrator.close();
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error.message).to.contain('"runsc-nowhere" is not registered with the Docker daemon').and.to.contain('npm run setup -- runsc');
    expect(error.message, 'lists the runtimes it has').to.match(/it knows [^)]*runc/);
  });

  it('fails a sandbox of an unknown runtime with the same fix, and leaves no container', async () => {
    const engine = new LocalContainerEngine({ image: IMAGE, owner: testOwner('runtime-missing'), runtime: 'runsc-nowhere' });
    const error = await rejectionOf(() => engine.boot());
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error.message).to.contain('npm run setup -- runsc');
    expect(engine.containerId).to.equal(undefined);
  });
});
