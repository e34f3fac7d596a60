/** The runtime option's plumbing (issue 17): flag to options, options to the container spec, the daemon's answer to a description. */
import type Docker from 'dockerode';
import { expect } from 'chai';
import { helpText, orchestratorOptions } from '../../../src/server/cli-options.js';
import { resolveRuntime } from '../../../src/server/local-engine/container-runtime.js';
import { containerSpec, DEFAULT_LIMITS } from '../../../src/server/local-engine/container-spec.js';

/** What `docker info` says on a daemon with runsc registered as setup.sh registers it. */
const daemon = {
  info: async () => ({
    DefaultRuntime: 'runc',
    Runtimes: { 'io.containerd.runc.v2': { path: 'runc' }, runc: { path: 'runc' }, runsc: { path: '/usr/local/bin/runsc', runtimeArgs: ['--network=host'] } },
  }),
} as unknown as Docker;

describe('container runtime option', () => {
  it('--runtime reaches the orchestrator options, and the help lists it', () => {
    expect(orchestratorOptions({ runtime: 'runsc' }, {})).to.have.property('runtime', 'runsc');
    expect(orchestratorOptions({}, {})).not.to.have.property('runtime');
    expect(helpText()).to.match(/--runtime <name>\s+OCI runtime/);
  });

  it('sets HostConfig.Runtime only when a runtime is asked for', () => {
    const input = { image: 'i', user: '1000:1000', network: 'none', agentVolume: 'v', limits: DEFAULT_LIMITS, env: {}, labels: {} };
    expect(containerSpec({ ...input, runtime: 'runsc' }).HostConfig).to.have.property('Runtime', 'runsc');
    expect(containerSpec(input).HostConfig).not.to.have.property('Runtime');
  });

  it('describes the runtime sandboxes get, the daemon\'s default when none is asked for', async () => {
    expect(await resolveRuntime(daemon, 'runsc')).to.deep.equal({ name: 'runsc', description: 'runsc (gVisor, --network=host)' });
    expect(await resolveRuntime(daemon, undefined)).to.deep.equal({ name: 'runc', description: "runc (Docker's default)" });
  });

  it('refuses a runtime the daemon lacks, listing those it has and how to get runsc', async () => {
    const error = await resolveRuntime(daemon, 'runsc-next').then(() => undefined, (failure: Error) => failure);
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error!.message).to.contain('(it knows runc, runsc)').and.to.contain('npm run setup -- runsc');
  });
});
