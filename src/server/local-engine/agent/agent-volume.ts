/**
 * How the agent binary gets into sandboxes: a named Docker volume per binary
 * version (`code-sandbox-agent-<sha256 prefix>`), filled once through a
 * short-lived container that is never started (the Engine API's archive upload),
 * then mounted read-only into every sandbox. Never a host bind mount, so it
 * works with a remote daemon too, and nothing in it is writable from a sandbox.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { EngineUnavailableError } from '../../../engine/errors.js';

/** Where the agent's volume is mounted in a sandbox. */
export const AGENT_MOUNT = '/.code-sandbox';
/** The agent's path inside a sandbox. */
export const AGENT_PATH = `${AGENT_MOUNT}/code-sandbox-agent`;
/** Label on the agent volumes, so operators can find and prune old ones. */
export const AGENT_VOLUME_LABEL = 'dev.code-sandbox.agent';

/** The agent binary on this host: `CODE_SANDBOX_AGENT`, else where `scripts/setup.sh agent` builds it. */
export function agentBinaryPath(): string {
  return process.env['CODE_SANDBOX_AGENT'] || '/usr/local/lib/code-sandbox/code-sandbox-agent';
}

const provisioned = new WeakMap<Docker, Map<string, Promise<string>>>();

/**
 * The name of the volume holding the agent binary (`binary`, default
 * `agentBinaryPath()`), filled on this daemon if it is not yet. `image` is any
 * image on the daemon, for the short-lived container that fills it.
 */
export function agentVolume(docker: Docker, image: string, binary = agentBinaryPath()): Promise<string> {
  const cache = provisioned.get(docker) ?? new Map<string, Promise<string>>();
  provisioned.set(docker, cache);
  let volume = cache.get(binary);
  if (!volume) {
    volume = provision(docker, image, binary);
    cache.set(binary, volume);
    volume.catch(() => cache.delete(binary));
  }
  return volume;
}

async function provision(docker: Docker, image: string, binary: string): Promise<string> {
  const bytes = await readFile(binary).catch((error: unknown) => {
    throw new EngineUnavailableError(
      `The sandbox agent binary is missing at ${binary} (${(error as Error).message}). Build it with \`bash scripts/setup.sh agent\` ` +
        '(`npm run setup` does it), or set CODE_SANDBOX_AGENT to its path.',
    );
  });
  const digest = createHash('sha256').update(bytes).digest('hex');
  const name = `code-sandbox-agent-${digest.slice(0, 16)}`;
  await docker.createVolume({ Name: name, Labels: { [AGENT_VOLUME_LABEL]: digest } });
  const filler = await docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { [AGENT_VOLUME_LABEL]: digest },
    HostConfig: { Mounts: [{ Type: 'volume', Source: name, Target: AGENT_MOUNT }], NetworkMode: 'none' },
  });
  try {
    // A GET whose body is dropped, not infoArchive: dockerode's HEAD request never ends, and its socket keeps Node running.
    const present = await filler.getArchive({ path: AGENT_PATH }).then(
      (archive) => ((archive as Readable).destroy(), true),
      () => false,
    );
    // Filled by another server or an earlier run: its name is its content's hash, so it is the same binary.
    if (!present) await filler.putArchive(await tarOf(bytes), { path: AGENT_MOUNT });
  } finally {
    await filler.remove({ force: true, v: false }).catch(() => undefined);
  }
  return name;
}

function tarOf(binary: Buffer): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name: 'code-sandbox-agent', mode: 0o755, uid: 0, gid: 0 }, binary);
  archive.finalize();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
}
