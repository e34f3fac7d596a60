/**
 * The seccomp profile sandboxes run under. Docker's default profile allows
 * ptrace (kernel 4.8 and later), so processes in one sandbox could trace each
 * other, the file helpers the engine runs included. `scripts/setup.sh` installs
 * Docker's own default profile with ptrace taken out (see
 * scripts/seccomp-profile.mjs); engines use it wherever it is installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EngineUnavailableError } from '../../engine/errors.js';

/** Where `scripts/setup.sh` installs the profile. */
export const SECCOMP_PROFILE_PATH = '/etc/code-sandbox/seccomp.json';

interface SeccompProfile {
  defaultAction: string;
  syscalls: Array<{ names?: string[]; action: string }>;
}

/**
 * Reads a seccomp profile in Docker's JSON format and returns its text, for the
 * engine's `seccompProfile` option. Throws a ConfigurationError that names the
 * file when it is missing or is not such a profile.
 */
export function readSeccompProfile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EngineUnavailableError(`Cannot read the seccomp profile ${path} (${(error as Error).message}). Run \`npm run setup\` to install it, or name another with --seccomp-profile.`);
  }
  let profile: Partial<SeccompProfile>;
  try {
    profile = JSON.parse(text) as Partial<SeccompProfile>;
  } catch (error) {
    throw new EngineUnavailableError(`The seccomp profile ${path} is not JSON (${(error as Error).message}).`);
  }
  if (typeof profile.defaultAction !== 'string' || !Array.isArray(profile.syscalls)) {
    throw new EngineUnavailableError(`The seccomp profile ${path} needs "defaultAction" and "syscalls", as in Docker's seccomp profiles.`);
  }
  return text;
}

/**
 * The profile engines use when their options name none:
 * $CODE_SANDBOX_SECCOMP_PROFILE if set, else SECCOMP_PROFILE_PATH if installed,
 * else undefined (the daemon's default).
 */
export function defaultSeccompProfile(): string | undefined {
  const path = process.env['CODE_SANDBOX_SECCOMP_PROFILE'] ?? (existsSync(SECCOMP_PROFILE_PATH) ? SECCOMP_PROFILE_PATH : undefined);
  if (path === undefined) return undefined;
  cached ??= { path, text: readSeccompProfile(path) };
  return cached.path === path ? cached.text : readSeccompProfile(path);
}
let cached: { path: string; text: string } | undefined;

/** Whether a profile (its JSON text; undefined is the daemon's default) lets processes call ptrace. */
export function allowsPtrace(profile: string | undefined): boolean {
  if (profile === undefined) return true;
  const { defaultAction, syscalls } = JSON.parse(profile) as SeccompProfile;
  const named = syscalls.filter((rule) => rule.names?.includes('ptrace'));
  return named.length ? named.some((rule) => rule.action === 'SCMP_ACT_ALLOW') : defaultAction === 'SCMP_ACT_ALLOW';
}
