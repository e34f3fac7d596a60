/**
 * Runs one example the way `<code-sandbox>` runs it (same configuration
 * parsing, stack inference, install plan and default command), on any
 * `ContainerEngine`, and says what happened: exit code, output, time.
 */
import type { ContainerEngine } from '../engine/container-engine.js';
import { inferStack, planInstall, type Stack } from '../engine/stack.js';
import { topLevelNames } from '../example/tree-builder.js';
import { commandArgs, defaultCommand } from '../example/run-command.js';
import { resolveConfig, unknownAttributeProblems, type RawConfig } from '../example/sandbox-config.js';
import type { SourceExample } from './example-source.js';

/** Makes the engine an example runs on, for its stack (undefined when nothing says). */
export type EngineFactory = (stack: Stack | undefined) => ContainerEngine;

/** What running an example gave. */
export interface RunOutcome {
  stack: Stack | undefined;
  /** The command that ran (or the dev server's), when one did. */
  command: string | undefined;
  /** The exit code; for a dev server, 0 when it answered HTTP. Undefined when nothing ran. */
  exitCode: number | undefined;
  /** Everything the install and the command printed. */
  output: string;
  /** The command's output alone (what the expected output is compared with). */
  commandOutput: string;
  /** Why the example could not run, when it could not (boot failure, install failure, timeout...). */
  error: string | undefined;
  milliseconds: number;
}

/** How long each phase may take, in ms. */
export interface RunTimeouts {
  /** The example's own command, or its dev server until it answers (default 60 s). */
  run: number;
  /** Installing dependencies (default 5 min). */
  install: number;
}

const DEFAULT_TIMEOUTS: RunTimeouts = { run: 60_000, install: 300_000 };

/** Runs `example` on an engine from `createEngine` and tears the engine down. Never rejects. */
export async function runExample(example: SourceExample, createEngine: EngineFactory, timeouts: Partial<RunTimeouts> = {}): Promise<RunOutcome> {
  const { run: runTimeout, install: installTimeout } = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const started = performance.now();
  const { config, problems } = resolveConfig(example.attributes as RawConfig);
  const names = topLevelNames(example.files);
  const stack = config.template ?? inferStack(names);
  const outcome: RunOutcome = { stack, command: undefined, exitCode: undefined, output: '', commandOutput: '', error: undefined, milliseconds: 0 };
  const invalid = [...example.problems, ...problems, ...unknownAttributeProblems(Object.keys(example.attributes))];
  if (invalid.length) return { ...outcome, error: invalid.join(' ') };
  if (names.length === 0) return { ...outcome, error: 'The example has no files: give it a block with file=NAME (Markdown) or a child with data-file (HTML).' };
  let engine: ContainerEngine | undefined;
  try {
    engine = createEngine(stack);
    await engine.boot();
    await engine.mount(example.files);
    const install = config.install === 'none' ? undefined : config.install === 'auto' ? planInstall(names)?.command : config.install;
    if (install) {
      const code = await engine.installDependencies({ command: install, timeout: installTimeout, onOutput: (chunk) => (outcome.output += chunk) });
      if (code !== 0) return { ...outcome, exitCode: code, error: `Installing dependencies (${install}) failed with exit code ${code}.` };
    }
    if (config.layout === 'terminal') await runCommand(engine, config.command ?? defaultCommand(example.files), runTimeout, outcome);
    else await runDevServer(engine, config.command, config.port, runTimeout, outcome);
  } catch (error) {
    outcome.error = (error as Error).message;
  } finally {
    await engine?.teardown().catch(() => undefined);
    outcome.milliseconds = performance.now() - started;
  }
  return outcome;
}

async function runCommand(engine: ContainerEngine, command: string | undefined, timeout: number, outcome: RunOutcome): Promise<void> {
  if (!command) throw new Error('Nothing says what to run: set command="..." (Markdown: command="node app.js" in the info string), or name the entry file index.js / main.py.');
  outcome.command = command;
  const [cmd, args] = commandArgs(command);
  const signal = AbortSignal.timeout(timeout);
  const process = await engine.exec(cmd, args, { signal });
  process.stream.subscribe((chunk) => {
    outcome.output += chunk;
    outcome.commandOutput += chunk;
  });
  // A reader presses nothing: a prompt sees the end of its input rather than waiting forever.
  await process.closeInput().catch(() => undefined);
  outcome.exitCode = await process.exit;
  if (signal.aborted) {
    outcome.error = `It was still running after ${timeout / 1000} s and was stopped. Mark it skip, or raise --timeout.`;
  }
}

async function runDevServer(engine: ContainerEngine, command: string | undefined, port: number | undefined, timeout: number, outcome: RunOutcome): Promise<void> {
  const server = await engine.startDevServer({ timeout, ...(command ? { command } : {}), ...(port ? { port } : {}) });
  outcome.command = command ?? `the dev server on port ${server.port}`;
  const logs = server.logs.subscribe((chunk) => (outcome.output += chunk));
  try {
    const response = await fetch(server.url, { signal: AbortSignal.timeout(timeout) });
    outcome.exitCode = response.status < 500 ? 0 : 1;
    if (outcome.exitCode !== 0) outcome.error = `The dev server answered HTTP ${response.status}.`;
  } finally {
    logs.unsubscribe();
    await server.process.kill('SIGKILL').catch(() => undefined);
  }
}
