/**
 * What every engine does the same way around its processes: checking exec's
 * arguments, killing a process when its signal or timeout fires, and following
 * an install's output to its exit code.
 */
import type { ExecOptions, InstallOptions, ProcessHandle } from './container-engine.js';
import { deadline, raceSignal, throwIfAborted } from './wait.js';

/** What installDependencies says when the workspace has no manifest. */
export const NOTHING_TO_INSTALL = 'Nothing to install: no package.json, requirements.txt or other manifest in the workspace.\r\n';

/**
 * Checks exec's arguments; returns the signal that must kill the process (the
 * caller's signal, its timeout, or both), throwing at once if it already fired.
 */
export function checkExec(cmd: string, args: string[], options: ExecOptions): AbortSignal | undefined {
  if (typeof cmd !== 'string' || cmd === '') throw new TypeError('exec() needs a command, such as exec("node", ["main.js"]).');
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string')) throw new TypeError('exec() takes its arguments as an array of strings.');
  const killSignal = options.signal || options.timeout !== undefined ? deadline(options, undefined, `"${cmd}"`) : undefined;
  throwIfAborted(killSignal);
  return killSignal;
}

/** Kills `process` with SIGKILL when `signal` fires before it exits. */
export function killOnAbort(process: ProcessHandle, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const kill = () => void process.kill('SIGKILL').catch(() => undefined);
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  void process.exit.then(() => signal.removeEventListener('abort', kill));
}

/**
 * Shows an install's command and output through `onOutput` and resolves with its
 * exit code; when `signal` fires first, kills it and rejects. `undefined`: there
 * was nothing to install.
 */
export async function followInstall(install: { command: string; process: ProcessHandle } | undefined, options: InstallOptions, signal: AbortSignal): Promise<number> {
  if (!install) {
    options.onOutput?.(NOTHING_TO_INSTALL);
    return 0;
  }
  options.onOutput?.(`$ ${install.command}\r\n`);
  if (options.onOutput) install.process.stream.subscribe(options.onOutput);
  return raceSignal(install.process.exit, signal, () => void install.process.kill('SIGKILL').catch(() => undefined));
}
