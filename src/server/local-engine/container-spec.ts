/**
 * How a sandbox container is created: hardened by default (no capabilities, no
 * privilege escalation, an unprivileged user, a read-only root with size-capped
 * writable tmpfs for the workspace, tmp and home, pids/memory/CPU limits).
 */
import type Docker from 'dockerode';
import { AGENT_MOUNT, AGENT_PATH } from './agent/agent-volume.js';

/** Resource limits of one sandbox. */
export interface SandboxLimits {
  /** Memory in bytes, swap included (default 1 GiB). */
  memoryBytes?: number;
  /** CPU cores, fractions allowed (default 1). */
  cpus?: number;
  /** Processes and threads at once (default 256). */
  pids?: number;
  /** Size of the workspace tmpfs in bytes (default 512 MiB). */
  workspaceBytes?: number;
  /** Largest file the file API reads or writes, in bytes (default 50 MiB). */
  fileBytes?: number;
  /** Files and folders the workspace holds at most (default 262144); /tmp and HOME hold 65536 each. */
  workspaceInodes?: number;
}

/** Label every container the local engine creates carries, so its owner can find them. */
export const OWNER_LABEL = 'dev.code-sandbox.owner';

export const DEFAULT_LIMITS: Required<SandboxLimits> = {
  memoryBytes: 1024 * 1024 * 1024,
  cpus: 1,
  pids: 256,
  workspaceBytes: 512 * 1024 * 1024,
  fileBytes: 50 * 1024 * 1024,
  workspaceInodes: 262_144,
};

/** Where HOME points inside the sandbox (a tmpfs, since the root is read-only). */
export const SANDBOX_HOME = '/home/sandbox';

export interface ContainerSpecInput {
  image: string;
  user: string;
  network: string;
  /** Resolver options for `/etc/resolv.conf` (default: Docker's). */
  dnsOptions?: string[];
  /** The volume holding the agent binary (see agent-volume.ts), mounted read-only. */
  agentVolume: string;
  limits: Required<SandboxLimits>;
  env: Record<string, string>;
  labels: Record<string, string>;
  name?: string;
  /** Seccomp profile as JSON text; undefined keeps the daemon's default. */
  seccompProfile?: string | undefined;
  /** The OCI runtime registered with Docker (`runsc` for gVisor); undefined keeps the daemon's default. */
  runtime?: string | undefined;
}

/** The Docker Engine API create body for a sandbox. */
export function containerSpec(input: ContainerSpecInput): Docker.ContainerCreateOptions {
  const [uid = '1000', gid = uid] = input.user.split(':');
  const owned = `uid=${uid},gid=${gid}`;
  const env = {
    HOME: SANDBOX_HOME,
    PATH: '/workspace/node_modules/.bin:/workspace/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    TERM: 'xterm-256color',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    NPM_CONFIG_FUND: 'false',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PYTHONUNBUFFERED: '1',
    ...input.env,
  };
  return {
    ...(input.name && { name: input.name }),
    Image: input.image,
    // PID 1 is the agent: it runs processes, moves files and forwards connections over
    // its stdin/stdout, attached before start; it reaps orphans, so no Docker init.
    Entrypoint: [AGENT_PATH],
    Cmd: [],
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: input.user,
    WorkingDir: '/workspace',
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: input.labels,
    HostConfig: {
      ...(input.runtime && { Runtime: input.runtime }),
      Init: false,
      Mounts: [{ Type: 'volume', Source: input.agentVolume, Target: AGENT_MOUNT, ReadOnly: true }],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges', ...(input.seccompProfile ? [`seccomp=${input.seccompProfile}`] : [])],
      ReadonlyRootfs: true,
      Tmpfs: {
        // nr_inodes bounds file counts too: tmpfs inodes are kernel memory a byte size does not cap.
        '/workspace': `rw,exec,nosuid,nodev,size=${input.limits.workspaceBytes},nr_inodes=${input.limits.workspaceInodes},mode=0755,${owned}`,
        '/tmp': 'rw,exec,nosuid,nodev,size=268435456,nr_inodes=65536,mode=1777',
        [SANDBOX_HOME]: `rw,exec,nosuid,nodev,size=268435456,nr_inodes=65536,mode=0700,${owned}`,
      },
      Memory: input.limits.memoryBytes,
      MemorySwap: input.limits.memoryBytes,
      NanoCpus: Math.round(input.limits.cpus * 1e9),
      PidsLimit: input.limits.pids,
      NetworkMode: input.network,
      ...(input.dnsOptions?.length && { DnsOptions: input.dnsOptions }),
    },
  };
}
