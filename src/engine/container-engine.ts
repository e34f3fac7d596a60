/**
 * The seam of the architecture: everything above this file is engine-agnostic.
 * The seed's methods and signatures are kept as written; what a terminal and a
 * real reader need (stdin, resize, kill, readdir, cancellation, status) is added
 * through optional parameters and new members only.
 */
import { EngineStateError } from './errors.js';
import type { DirEntry, FileSystemTree } from './file-system-tree.js';
import type { Observable } from './observable.js';
import { PortWatch, type PortEvent } from './ports.js';
import type { WaitOptions } from './wait.js';

/** The seed's process output: everything the process prints, and its exit code. */
export interface ProcessOutput {
  /** stdout and stderr as they arrive (one stream on a terminal). Buffered until the first subscriber. */
  stream: Observable<string>;
  /** The exit code; 128 + N when signal N ended the process. Never rejects. */
  exit: Promise<number>;
}

/** Columns and rows of a terminal. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Signals `kill` can send. */
export type ProcessSignal = 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP' | 'SIGQUIT';

/**
 * A running process. Guarantees: `exit` always settles (with 128 + N after a
 * signal); every byte printed reaches `stream` in order before `exit` settles
 * for a subscriber that was there; `kill` also ends the process's children.
 */
export interface ProcessHandle extends ProcessOutput {
  /** stdout alone (on a terminal, everything). */
  readonly stdout: Observable<string>;
  /** stderr alone (empty on a terminal, where it merges into stdout). */
  readonly stderr: Observable<string>;
  /** Sends input to the process's stdin (keystrokes, on a terminal). */
  write(data: string | Uint8Array): Promise<void>;
  /** Closes stdin, so a process that reads to the end sees end-of-file. */
  closeInput(): Promise<void>;
  /** Resizes the terminal (a no-op for a process without one). */
  resize(size: TerminalSize): Promise<void>;
  /** Sends a signal (SIGTERM by default) to the process and its children. Harmless once it has exited. */
  kill(signal?: ProcessSignal): Promise<void>;
  /** Waits for the exit code; the wait (not the process) can be cancelled. */
  wait(options?: WaitOptions): Promise<number>;
}

/** How `exec` runs a process. */
export interface ExecOptions {
  /** Folder to run in, relative to the workspace (default: the workspace root). */
  cwd?: string;
  /** Variables added to the sandbox's environment. */
  env?: Record<string, string>;
  /** Run on a terminal (pty) of this size: interactive programs, colours, resize. */
  terminal?: TerminalSize;
  /** Kills the process (SIGKILL) when it fires. */
  signal?: AbortSignal;
  /** Kills the process (SIGKILL) after this many milliseconds. */
  timeout?: number;
}

/** How `installDependencies` runs. */
export interface InstallOptions extends WaitOptions {
  /** Receives the installer's output while it runs. */
  onOutput?: (chunk: string) => void;
  /** The install command line (default: inferred from the files, e.g. `npm ci` when there is a lockfile). */
  command?: string;
}

/** How `startDevServer` runs. */
export interface DevServerOptions extends WaitOptions {
  /** The command line (default: package.json's `dev` or `start` script, or a conventional entry file). */
  command?: string;
  /** The port the server listens on, passed to it as `PORT` (default: the engine's first port). */
  port?: number;
  /** Variables added to the server's environment. */
  env?: Record<string, string>;
}

/** A dev server that answers HTTP. */
export interface DevServer {
  /** Where the server answers, reachable from the caller (the browser, for remote engines). */
  url: string;
  /** Everything the server prints. */
  logs: Observable<string>;
  /** The port inside the sandbox. */
  port: number;
  /** The server's process, to stop it. */
  process: ProcessHandle;
}

/** Where an engine is in its life. */
export type EngineStatus = 'idle' | 'booting' | 'ready' | 'failed' | 'tearing-down' | 'torn-down';

/** Contract every engine implements; the shared contract suite checks it. */
export abstract class ContainerEngine {
  #status: EngineStatus = 'idle';
  #failure: unknown;
  readonly #ports = new PortWatch();

  /**
   * Ports that begin or stop listening in the sandbox, on any address and any
   * number (a dev server on 127.0.0.1:3111 counts). Changes from the moment of
   * subscribing; `openPorts` says what is open already.
   */
  get ports(): Observable<PortEvent> {
    return this.#ports;
  }

  /** The ports listening in the sandbox now, in the order they opened. */
  get openPorts(): number[] {
    return this.#ports.open;
  }

  /** Where the engine is in its life. */
  get status(): EngineStatus {
    return this.#status;
  }

  /** Why the engine is `failed`: its boot error, or what ended its sandbox under it. */
  get failure(): unknown {
    return this.#failure;
  }

  // Lifecycle
  /** Starts the sandbox. Rejects with `EngineUnavailableError` or `BootTimeoutError` when it cannot. */
  abstract boot(options?: WaitOptions): Promise<void>;
  /** Stops the sandbox and releases everything it held. Safe to call twice. */
  abstract teardown(): Promise<void>;

  // File System
  /** Writes a tree into the workspace, over what is there. */
  abstract mount(files: FileSystemTree, options?: WaitOptions): Promise<void>;
  /** Writes one file, creating its folders. */
  abstract writeFile(path: string, content: string | Uint8Array, options?: WaitOptions): Promise<void>;
  /** Reads a file as UTF-8 text. */
  abstract readFile(path: string, options?: WaitOptions): Promise<string>;
  /** Reads a file's bytes. */
  abstract readFileBytes(path: string, options?: WaitOptions): Promise<Uint8Array>;
  /** Deletes a file, or a folder with everything in it. */
  abstract deleteFile(path: string, options?: WaitOptions): Promise<void>;
  /** Lists a folder of the workspace ('' or '.' for its root). */
  abstract readdir(path: string, options?: WaitOptions): Promise<DirEntry[]>;

  // Execution
  /** Starts `cmd` with `args` (no shell) in the workspace. Resolves once it runs. */
  abstract exec(cmd: string, args: string[], options?: ExecOptions): Promise<ProcessHandle>;

  // Specific Workflows
  /** Installs the workspace's dependencies with the stack's package manager; resolves with its exit code. */
  abstract installDependencies(options?: InstallOptions): Promise<number>;
  /** Starts the dev server and resolves once it answers HTTP. */
  abstract startDevServer(options?: DevServerOptions): Promise<DevServer>;

  /** Records that a port opened or closed in the sandbox (for implementations). */
  protected reportPort(event: PortEvent): void {
    this.#ports.report(event);
  }

  /** Moves the engine to a new status, with the cause when it is `failed` (for implementations). */
  protected setStatus(status: EngineStatus, failure?: unknown): void {
    this.#status = status;
    if (status === 'failed') this.#failure = failure;
    if (status === 'failed' || status === 'torn-down') this.#ports.clear();
  }

  /** Throws unless the engine is ready for `what` (for implementations). */
  protected assertReady(what: string): void {
    if (this.#status === 'ready') return;
    const hint =
      this.#status === 'idle' || this.#status === 'booting'
        ? 'Call boot() and wait for it first.'
        : this.#status === 'failed'
          ? 'Its boot failed; create a new engine.'
          : 'It was torn down; create a new engine.';
    throw new EngineStateError(`Cannot ${what}: the engine is ${this.#status}. ${hint}`);
  }
}
