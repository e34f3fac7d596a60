/** The egress allowlist and the egress flags, without Docker. Node only. */
import { expect } from 'chai';
import { parseArgs } from 'node:util';
import { HostAllowlist, REGISTRY_HOSTS } from '../../../src/server/egress/allowlist.js';
import { orchestratorOptions, parserOptions } from '../../../src/server/cli-options.js';

const flags = (...args: string[]) => orchestratorOptions(parseArgs({ args, options: parserOptions() }).values, {});

describe('egress allowlist', () => {
  const allowlist = new HostAllowlist([...REGISTRY_HOSTS, '*.mirror.example', 'git.example:8443']);

  it('allows the registries by name on ports 443 and 80 only', () => {
    expect(allowlist.allows('registry.npmjs.org', 443)).to.equal(true);
    expect(allowlist.allows('Registry.NPMJS.org.', 80)).to.equal(true);
    expect(allowlist.allows('registry.npmjs.org', 22)).to.equal(false);
    expect(allowlist.allows('npmjs.org', 443)).to.equal(false);
    expect(allowlist.allows('evil-registry.npmjs.org', 443)).to.equal(false);
    expect(allowlist.allows('registry.npmjs.org.evil.example', 443)).to.equal(false);
  });

  it('matches a wildcard on subdomains but not the domain itself, and a port given with the host only', () => {
    expect(allowlist.allows('a.b.mirror.example', 443)).to.equal(true);
    expect(allowlist.allows('mirror.example', 443)).to.equal(false);
    expect(allowlist.allows('xmirror.example', 443)).to.equal(false);
    expect(allowlist.allows('git.example', 8443)).to.equal(true);
    expect(allowlist.allows('git.example', 443)).to.equal(false);
  });

  it('refuses an address unless it is listed', () => {
    expect(allowlist.allows('104.16.1.35', 443)).to.equal(false);
    expect(allowlist.allows('::1', 443)).to.equal(false);
  });

  it('says which entry is wrong and the forms it takes', () => {
    expect(() => new HostAllowlist(['https://registry.example/'])).to.throw(TypeError, '"https://registry.example/" is not an egress host: give a host name');
    expect(() => new HostAllowlist(['registry.example:70000'])).to.throw(TypeError, 'registry.example:70000');
  });
});

describe('egress flags', () => {
  it('leave the default to createOrchestrator unless given, and add registry hosts to the defaults', () => {
    expect(flags()).not.to.have.property('egress');
    const options = flags('--egress', 'none', '--template-egress', 'go=all', '--registry-host', '*.mirror.example');
    expect(options).to.include({ egress: 'none' });
    expect(options.templateEgress).to.deep.equal({ go: 'all' });
    expect(options.registryHosts).to.deep.equal([...REGISTRY_HOSTS, '*.mirror.example']);
  });

  it('refuse a mode, a pair or a host that makes no sense, saying what to give', () => {
    expect(() => flags('--egress', 'some')).to.throw('--egress must be one of all, registries, none, not "some".');
    expect(() => flags('--template-egress', 'go')).to.throw('--template-egress takes template=mode, such as go=all, not "go".');
    expect(() => flags('--template-egress', 'go=open')).to.throw('--template-egress go must be one of all, registries, none');
    expect(() => flags('--registry-host', 'a b')).to.throw('--registry-host: "a b" is not an egress host');
  });
});
