/**
 * A process started with `docker exec`: its hijacked attach socket carries stdin
 * one way and output the other (multiplexed unless it runs on a terminal).
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ProcessHandle, ProcessSignal, TerminalSize } from '../../engine/container-engine.js';
import { OutputSubject } from '../../engine/observable.js';
import { raceSignal, waitForExit, type WaitOptions } from '../../engine/wait.js';
import { DockerStreamDemuxer } from './docker-stream.js';
import { exitCodeOf, runToEnd } from './run-to-end.js';
import { KILL_TREE, PROCESS_MARKER, shell, START } from './sandbox-scripts.js';

/** What `startLocalProcess` needs to know. */
export interface LocalProcessSpec {
  cmd: string[];
  /** Absolute folder in the sandbox. */
  workingDir: string;
  env: Record<string, string>;
  terminal?: TerminalSize;
  /** prctl's system call number in the sandbox's architecture (see START); without it, no subreaper. */
  prctlSyscall?: number;
  /** Says why the process ended when its code alone would puzzle a reader (out of memory, sandbox gone). */
  explainExit?: (code: number) => Promise<string | undefined>;
}

let counter = 0;
/** How long the reason for an exit may take to find before the exit is reported without it. */
const EXPLAIN_WITHIN_MS = 5000;

/** Starts a process in `container` and resolves once its streams are attached. */
export async function startLocalProcess(container: Docker.Container, spec: LocalProcessSpec): Promise<LocalProcess> {
  const id = `${process.pid.toString(36)}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
  const tty = spec.terminal !== undefined;
  const env = { ...spec.env, [PROCESS_MARKER]: id };
  const size = spec.terminal ? [String(spec.terminal.cols), String(spec.terminal.rows)] : ['', ''];
  const exec = await container.exec({
    Cmd: shell(START, String(spec.prctlSyscall ?? ''), ...size, ...spec.cmd),
    WorkingDir: spec.workingDir,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
  });
  const socket = (await exec.start({ hijack: true, stdin: true, Tty: tty })) as Duplex;
  return new LocalProcess(container, exec, socket, id, tty, spec.explainExit);
}

/** A process in a local container; see `ProcessHandle` for its guarantees. */
export class LocalProcess implements ProcessHandle {
  readonly id: string;
  readonly stream = new OutputSubject<string>();
  readonly stdout = new OutputSubject<string>();
  readonly stderr = new OutputSubject<string>();
  readonly exit: Promise<number>;
  readonly #container: Docker.Container;
  readonly #exec: Docker.Exec;
  readonly #socket: Duplex;
  readonly #tty: boolean;
  #exited = false;

  constructor(
    container: Docker.Container,
    exec: Docker.Exec,
    socket: Duplex,
    id: string,
    tty: boolean,
    explainExit?: (code: number) => Promise<string | undefined>,
  ) {
    this.#container = container;
    this.#exec = exec;
    this.#socket = socket;
    this.id = id;
    this.#tty = tty;
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const emit = (kind: 'stdout' | 'stderr', bytes: Uint8Array, final = false) => {
      const text = decoders[kind].decode(bytes, { stream: !final });
      if (!text) return;
      this.stream.next(text);
      this[kind].next(text);
    };
    const demuxer = new DockerStreamDemuxer((kind, payload) => emit(kind, payload));
    socket.on('data', (chunk: Buffer) => (tty ? emit('stdout', chunk) : demuxer.push(chunk)));
    const ended = new Promise<void>((resolve) => {
      socket.once('close', resolve);
      socket.once('end', resolve);
      socket.once('error', resolve);
    });
    this.exit = ended.then(async () => {
      emit('stdout', new Uint8Array(), true);
      emit('stderr', new Uint8Array(), true);
      const code = await exitCodeOf(exec);
      this.#exited = true;
      // The exit code stays the contract's (137 after SIGKILL); the reader also gets the reason, last in the output.
      // Bounded: a sandbox in trouble (memory, Docker) must not hold back the exit itself.
      const note = explainExit && (await raceSignal(explainExit(code), AbortSignal.timeout(EXPLAIN_WITHIN_MS)).catch(() => undefined));
      if (note) emit(tty ? 'stdout' : 'stderr', new TextEncoder().encode(`${tty ? '\r\n' : '\n'}[code-sandbox] ${note}${tty ? '\r\n' : '\n'}`), true);
      socket.destroy();
      for (const subject of [this.stream, this.stdout, this.stderr]) subject.complete();
      return code;
    });
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.#exited || this.#socket.writableEnded) return Promise.resolve();
    return new Promise((resolve, reject) => this.#socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  closeInput(): Promise<void> {
    if (this.#socket.writableEnded) return Promise.resolve();
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  async resize(size: TerminalSize): Promise<void> {
    if (!this.#tty || this.#exited) return;
    await this.#exec.resize({ h: size.rows, w: size.cols }).catch(() => undefined);
  }

  async kill(signal: ProcessSignal = 'SIGTERM'): Promise<void> {
    if (this.#exited) return;
    await runToEnd(this.#container, shell(KILL_TREE, signal.replace(/^SIG/, ""), this.id));
  }

  /**
   * Stops reading the process's output until `resume()`. Its pipe then fills and
   * the process blocks on write: flow control for a client that reads slowly.
   */
  pause(): void {
    this.#socket.pause();
  }

  /** Reads output again after `pause()`. */
  resume(): void {
    this.#socket.resume();
  }

  wait(options?: WaitOptions): Promise<number> {
    return waitForExit(this.exit, options);
  }
}
