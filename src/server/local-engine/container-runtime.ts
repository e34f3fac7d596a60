/**
 * The OCI runtime Docker runs sandboxes with: `runc` (Docker's default: the
 * sandbox's processes are ordinary processes on the host's kernel, fenced by
 * namespaces, cgroups, capabilities and seccomp) or `runsc` (gVisor: they run on
 * a kernel written in Go, in user space, so a hostile program meets gVisor's
 * sentry rather than the host's kernel). A runtime is registered with the Docker
 * daemon by name (`/etc/docker/daemon.json`, see `scripts/setup.sh runsc`); this
 * module finds out which one sandboxes get and refuses one the daemon lacks.
 */
import type Docker from 'dockerode';
import { EngineUnavailableError } from '../../engine/errors.js';

/** The runtime sandboxes get, as the daemon knows it. */
export interface SandboxRuntime {
  /** Its name in Docker (`runc`, `runsc`...). */
  name: string;
  /** Its name and what it is, for a log line: `runsc (gVisor)`, `runc (Docker's default)`. */
  description: string;
}

/** What the daemon says about its runtimes (`docker info`). */
interface RuntimeInfo {
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  DefaultRuntime?: string;
}

/**
 * The runtime a sandbox asking for `wanted` gets (undefined: the daemon's
 * default). Throws `EngineUnavailableError` saying how to get it when the daemon
 * has no runtime of that name.
 */
export async function resolveRuntime(docker: Docker, wanted: string | undefined): Promise<SandboxRuntime> {
  const info = (await docker.info()) as RuntimeInfo;
  const runtimes = info.Runtimes ?? {};
  const name = wanted ?? info.DefaultRuntime ?? 'runc';
  const runtime = runtimes[name];
  if (wanted !== undefined && !runtime) throw unknownRuntime(name, Object.keys(runtimes));
  const notes = [
    /(^|\/)runsc$/.test(runtime?.path ?? name) && 'gVisor',
    name === info.DefaultRuntime && "Docker's default",
    ...(runtime?.runtimeArgs ?? []),
  ].filter(Boolean);
  return { name, description: notes.length ? `${name} (${notes.join(', ')})` : name };
}

/** The error for a runtime the daemon does not know, saying how to get it. */
export function unknownRuntime(name: string, known: string[] = []): EngineUnavailableError {
  const fix = name.startsWith('runsc')
    ? 'Install gVisor and register it with `npm run setup -- runsc` (as root; it installs runsc where missing, adds it to /etc/docker/daemon.json and reloads dockerd)'
    : `Register it in /etc/docker/daemon.json ("runtimes": {"${name}": {"path": "..."}}) and reload dockerd (kill -HUP)`;
  const listed = known.length ? ` (it knows ${known.filter((runtime) => !runtime.startsWith('io.containerd.')).join(', ')})` : '';
  return new EngineUnavailableError(`The container runtime "${name}" is not registered with the Docker daemon${listed}. ${fix}, or leave the runtime unset for Docker's default.`);
}

/** Whether a Docker error is its refusal of a runtime it does not know. */
export function isUnknownRuntime(error: unknown): boolean {
  return /unknown runtime/i.test((error as Error | undefined)?.message ?? '');
}
