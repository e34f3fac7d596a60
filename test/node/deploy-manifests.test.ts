/**
 * The deployment files under deploy/ as an operator meets them: the Kubernetes
 * manifests built by `kubectl kustomize` and checked against the Kubernetes API's
 * schemas (kubernetes-models), the names and ports that must line up between them,
 * the image's refusal of the placeholder secret, and the Compose fleet. Node only:
 * no cluster and no Docker are needed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { FLAGS } from '../../src/server/cli-options.js';

// Any Kubernetes object, as parsed; the fields the checks read are looked up by path.
type Json = Record<string, any>;

const KUSTOMIZATION = 'deploy/kubernetes';
const COMPOSE = 'deploy/compose/compose.yaml';
const ENTRYPOINT = 'deploy/server-entrypoint.sh';
/** The fleet's flags, which cli-options.ts gains when the fleet work lands; until then only these may be missing from it. */
const FLEET_FLAGS = ['peer', 'peer-dns', 'advertise-url'];

/** The flag names in a list of arguments (`--name=value` or `--name value`). */
const flagNames = (args: string[]) => args.filter((arg) => arg.startsWith('--')).map((arg) => arg.slice(2).split('=')[0]!);
/** The value of `--name=value` in a list of arguments. */
const flagValue = (args: string[], name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

function unknownFlags(args: string[]): string[] {
  const pending = FLEET_FLAGS.filter((flag) => !(flag in FLAGS));
  return flagNames(args).filter((name) => !(name in FLAGS) && !pending.includes(name));
}

/** The kubernetes-models class of an object's apiVersion and kind (`apps/v1` → `kubernetes-models/apps/v1`). */
async function modelOf(object: Json): Promise<new (data: Json) => { validate(): void }> {
  const apiVersion = String(object['apiVersion']);
  const module = (await import(`kubernetes-models/${apiVersion.includes('/') ? apiVersion : `v1`}`)) as Record<string, unknown>;
  const model = module[String(object['kind'])];
  if (typeof model !== 'function') throw new Error(`kubernetes-models has no ${object['kind']} in ${apiVersion}`);
  return model as new (data: Json) => { validate(): void };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { env }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('deploy/kubernetes', function () {
  this.timeout(60_000);
  let objects: Json[];
  const find = (kind: string, name?: string): Json => {
    const found = objects.find((object) => object['kind'] === kind && (!name || object['metadata']['name'] === name));
    if (!found) throw new Error(`kubectl kustomize ${KUSTOMIZATION} built no ${kind}${name ? ` named ${name}` : ''}`);
    return found;
  };
  const server = () => find('Deployment')['spec']['template']['spec']['containers'][0] as Json;

  before(() => {
    let built: string;
    try {
      built = execFileSync('kubectl', ['kustomize', KUSTOMIZATION], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const { code, stderr } = error as { code?: string; stderr?: string };
      throw new Error(code === 'ENOENT' ? 'kubectl is needed to build deploy/kubernetes (apt-get install kubectl, or your cloud SDK)' : `kubectl kustomize ${KUSTOMIZATION} failed: ${stderr}`);
    }
    objects = parseAllDocuments(built).map((document) => document.toJS() as Json);
  });

  it('builds with kubectl kustomize into every object a fleet needs, in one namespace', () => {
    const kinds = objects.map((object) => object['kind']).sort();
    expect(kinds).to.deep.equal(['ConfigMap', 'Deployment', 'Ingress', 'Namespace', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'ServiceAccount']);
    const namespace = find('Namespace')['metadata']['name'];
    for (const object of objects.filter((object) => object['kind'] !== 'Namespace')) {
      expect(object['metadata']['namespace'], `${object['kind']} ${object['metadata']['name']}`).to.equal(namespace);
    }
  });

  it("validates every object against the Kubernetes API's schemas", async () => {
    const failures: string[] = [];
    for (const object of objects) {
      const Model = await modelOf(object);
      try {
        new Model(object).validate();
      } catch (error) {
        failures.push(`${object['kind']} ${object['metadata']['name']}: ${(error as Error).message}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('the schema check catches a mistake (a port given as text)', async () => {
    const deployment = structuredClone(find('Deployment'));
    deployment['spec']['template']['spec']['containers'][0]['ports'][0]['containerPort'] = '8787';
    const Model = await modelOf(deployment);
    expect(() => new Model(deployment).validate()).to.throw(/containerPort must be integer/);
  });

  it('finds peers through the headless Service, which keeps servers that are not ready', () => {
    const args = server()['args'] as string[];
    const [host, port] = flagValue(args, 'peer-dns')!.split(':');
    const peers = find('Service', host);
    expect(peers['spec']['clusterIP'], 'the peers Service must be headless').to.equal('None');
    expect(peers['spec']['publishNotReadyAddresses']).to.equal(true);
    expect(peers['spec']['ports'].map((p: Json) => p['port'])).to.include(Number(port));
    expect(flagValue(args, 'advertise-url')).to.equal(`http://$(POD_IP):${port}`);
    expect(flagValue(args, 'port')).to.equal(port);
  });

  it('lines up ports, labels and the Docker socket: Services select the server pods and target its named port', () => {
    const pod = find('Deployment')['spec']['template'];
    const containerPorts = server()['ports'] as Json[];
    for (const service of objects.filter((object) => object['kind'] === 'Service')) {
      for (const [key, value] of Object.entries(service['spec']['selector'] as Record<string, string>)) {
        expect(pod['metadata']['labels'][key], `Service ${service['metadata']['name']} selects ${key}=${value}`).to.equal(value);
      }
      for (const port of service['spec']['ports'] as Json[]) {
        expect(containerPorts.map((p) => p['name']), `Service ${service['metadata']['name']}`).to.include(port['targetPort']);
      }
    }
    const pdb = find('PodDisruptionBudget')['spec']['selector']['matchLabels'] as Record<string, string>;
    for (const [key, value] of Object.entries(pdb)) expect(pod['metadata']['labels'][key]).to.equal(value);
    const socket = new URL((server()['env'] as Json[]).find((variable) => variable['name'] === 'DOCKER_HOST')!['value']).pathname;
    expect((server()['volumeMounts'] as Json[]).map((mount) => mount['mountPath']), 'DOCKER_HOST').to.include(socket);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(containerPorts.map((p) => p['name']), probe).to.include(server()[probe]['httpGet']['port']);
    }
  });

  it('lets the server read the kernel log, where the egress firewall logs what it refuses', () => {
    expect(server()['securityContext']['capabilities']['add']).to.include('SYSLOG');
    const mount = (server()['volumeMounts'] as Json[]).find((m) => m['mountPath'] === '/dev/kmsg');
    expect(mount, 'a /dev/kmsg mount').to.not.equal(undefined);
    const volume = (find('Deployment')['spec']['template']['spec']['volumes'] as Json[]).find((v) => v['name'] === mount!['name']);
    expect(volume!['hostPath']).to.deep.equal({ path: '/dev/kmsg', type: 'CharDevice' });
  });

  it('is ready on /healthz, not /readyz: a full server keeps serving the sessions it owns', () => {
    expect(server()['readinessProbe']['httpGet']['path']).to.equal('/healthz');
    expect(server()['livenessProbe']['httpGet']['path']).to.equal('/healthz');
  });

  it('references only Secrets, ConfigMaps and keys that exist, the signing secret among them', () => {
    const spec = find('Deployment')['spec']['template']['spec'];
    const env = [...spec['initContainers'], ...spec['containers']].flatMap((container: Json) => container['env'] ?? []) as Json[];
    const refs = env.map((variable) => variable['valueFrom'] ?? {});
    const secretRefs = refs.filter((ref) => ref['secretKeyRef']).map((ref) => ref['secretKeyRef']);
    expect(secretRefs.map((ref) => ref['key'])).to.include('CODE_SANDBOX_SECRET');
    for (const ref of secretRefs) {
      const secret = find('Secret', ref['name']);
      expect({ ...secret['data'], ...secret['stringData'] }).to.have.property(ref['key']);
    }
    for (const ref of refs.filter((ref) => ref['configMapKeyRef']).map((ref) => ref['configMapKeyRef'])) {
      expect(find('ConfigMap', ref['name'])['data']).to.have.property(ref['key']);
    }
  });

  it('passes the server only flags it knows, and defines every $(VAR) they use', () => {
    const container = server();
    expect(unknownFlags(container['args'])).to.deep.equal([]);
    const defined = new Set((container['env'] as Json[]).map((variable) => variable['name']));
    const used = (container['args'] as string[]).flatMap((arg) => [...arg.matchAll(/\$\((\w+)\)/g)].map((match) => match[1]));
    expect(used.filter((name) => !defined.has(name))).to.deep.equal([]);
  });

  it('routes the API host and the wildcard preview host that the ConfigMap names to the readers Service', () => {
    const config = find('ConfigMap')['data'];
    const ingress = find('Ingress');
    const hosts = (ingress['spec']['rules'] as Json[]).map((rule) => rule['host']);
    expect(hosts).to.include(new URL(config['PUBLIC_URL']).host);
    const previewDomain = new URL(config['PREVIEW_URL'].replace('{session}-{port}', 'x')).host.replace(/^x\./, '');
    expect(hosts).to.include(`*.${previewDomain}`);
    for (const rule of ingress['spec']['rules'] as Json[]) {
      const backend = rule['http']['paths'][0]['backend']['service'];
      const service = find('Service', backend['name']);
      expect(service['spec']['clusterIP'], `${rule['host']} must go to a Service that balances`).to.not.equal('None');
      expect(service['spec']['ports'].map((p: Json) => p['name'])).to.include(backend['port']['name']);
    }
    const tlsHosts = (ingress['spec']['tls'] as Json[]).flatMap((tls) => tls['hosts']);
    expect(tlsHosts).to.have.members(hosts);
  });

  it("the server image refuses the Secret's placeholder and says how to make a real one", async () => {
    const placeholder = find('Secret')['stringData']['CODE_SANDBOX_SECRET'] as string;
    const result = await run('sh', [ENTRYPOINT, '--help'], { PATH: process.env['PATH'], CODE_SANDBOX_SECRET: placeholder });
    expect(result.code).to.equal(64);
    expect(result.stderr).to.match(/placeholder/).and.match(/openssl rand -hex 32/);
    const short = await run('sh', [ENTRYPOINT, '--help'], { PATH: process.env['PATH'], CODE_SANDBOX_SECRET: 'short' });
    expect(short.code).to.equal(64);
    expect(short.stderr).to.match(/is 5 characters long/);
  });

  it('the server image starts code-sandbox-server with its arguments when the secret is real', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'code-sandbox-entrypoint-'));
    try {
      // The installed package's bin, here the CLI's source run by tsx.
      const cli = join(bin, 'code-sandbox-server');
      writeFileSync(cli, `#!/bin/sh\nexec npx tsx ${resolve('src/server/cli.ts')} "$@"\n`);
      chmodSync(cli, 0o755);
      const secret = 'a'.repeat(64);
      const result = await run('sh', [ENTRYPOINT, '--help'], { PATH: `${bin}:${process.env['PATH']}`, CODE_SANDBOX_SECRET: secret, HOME: process.env['HOME'] });
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^Usage: code-sandbox-server/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('deploy/compose', function () {
  this.timeout(60_000);
  const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as Json;
  const servers = Object.entries(compose['services'] as Record<string, Json>).filter(([name]) => name.startsWith('server-'));

  it('runs three servers that share a secret, each on its own port and owner label', () => {
    expect(servers.map(([name]) => name)).to.deep.equal(['server-1', 'server-2', 'server-3']);
    const ports = servers.map(([, service]) => flagValue(service['command'], 'port'));
    expect(new Set(ports).size).to.equal(3);
    expect(new Set(servers.map(([, service]) => flagValue(service['command'], 'owner'))).size, 'one Docker, three owners').to.equal(3);
    for (const [name, service] of servers) {
      expect(unknownFlags(service['command']), name).to.deep.equal([]);
      expect(service['environment']['CODE_SANDBOX_SECRET'], name).to.match(/^\$\{CODE_SANDBOX_SECRET:\?/);
      expect(service['environment']['PORT'], `${name}'s healthcheck port`).to.equal(flagValue(service['command'], 'port'));
      const socket = new URL(service['environment']['DOCKER_HOST']).pathname;
      expect((service['volumes'] as string[]).map((volume) => volume.split(':')[1]), `${name}'s DOCKER_HOST`).to.include(socket);
      // The egress firewall's refusals are read from the kernel log.
      expect(service['cap_add'], name).to.include('SYSLOG');
      expect(service['devices'], name).to.include('/dev/kmsg');
    }
  });

  it('lists every server as a peer, at the URL each advertises', () => {
    const advertised = servers.map(([, service]) => flagValue(service['command'], 'advertise-url')!);
    servers.forEach(([, service], index) => {
      expect(new URL(advertised[index]!).port).to.equal(flagValue(service['command'], 'port'));
      expect(service['environment']['CODE_SANDBOX_PEERS'].split(',')).to.have.members(advertised);
    });
  });

  it("puts nginx in front with the fleet's configuration, deploy/nginx/code-sandbox.conf", () => {
    const mount = (compose['services']['nginx']['volumes'] as string[]).find((volume) => volume.includes('code-sandbox.conf'))!;
    const source = resolve(dirname(COMPOSE), mount.split(':')[0]!);
    expect(source).to.equal(resolve('deploy/nginx/code-sandbox.conf'));
    const upstreams = [...readFileSync(source, 'utf8').matchAll(/^\s*server\s+([\w.:[\]-]+)/gm)].map((match) => match[1]);
    const listening = servers.map(([, service]) => `${flagValue(service['command'], 'host')}:${flagValue(service['command'], 'port')}`);
    expect(upstreams).to.include.members(listening);
  });
});
