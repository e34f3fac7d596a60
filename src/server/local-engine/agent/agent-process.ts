/**
 * A process the agent spawned on a channel: output arrives as data frames
 * (acknowledged once emitted, or held back while paused), input leaves within
 * the channel's credit, the exit event comes after the last output byte.
 */
import type { ProcessHandle, ProcessSignal, TerminalSize } from '../../../engine/container-engine.js';
import { OutputSubject } from '../../../engine/observable.js';
import { deadline, raceSignal, type WaitOptions } from '../../../engine/wait.js';

/** How long the reason for an exit may take to find before the exit is reported without it. */
const EXPLAIN_WITHIN_MS = 5000;
import { sandboxError } from './agent-errors.js';
import type { AgentChannel, AgentConnection } from './agent-connection.js';

/** What `spawnAgentProcess` runs. */
export interface AgentProcessSpec {
  cmd: string[];
  /** Workspace-relative folder. */
  cwd: string;
  env: Record<string, string>;
  terminal?: TerminalSize;
  /**
   * Says why the process ended when its code alone would puzzle a reader: from
   * the exit event's `oomKills`, or `undefined` when the connection was lost.
   */
  explainExit: (code: number, oomKills: number | undefined, lost: boolean) => Promise<string | undefined>;
}

/** Spawns a process; resolves once it runs (rejects with ProcessError when it cannot start). */
export async function spawnAgentProcess(connection: AgentConnection, spec: AgentProcessSpec): Promise<AgentProcess> {
  const process = new AgentProcess(connection, spec);
  try {
    const { result } = await connection.request('spawn', {
      channel: process.channel.id,
      cmd: spec.cmd,
      cwd: spec.cwd,
      env: spec.env,
      ...(spec.terminal && { terminal: spec.terminal }),
    });
    process.pid = result.pid;
  } catch (error) {
    process.channel.release();
    throw sandboxError(error, undefined, `Starting "${spec.cmd[0]}"`);
  }
  return process;
}

/** A process in a local sandbox; see `ProcessHandle` for its guarantees. */
export class AgentProcess implements ProcessHandle {
  /** The process's id inside the sandbox. */
  pid = 0;
  readonly stream = new OutputSubject<string>();
  readonly stdout = new OutputSubject<string>();
  readonly stderr = new OutputSubject<string>();
  readonly exit: Promise<number>;
  /** @internal */
  readonly channel: AgentChannel;
  readonly #connection: AgentConnection;
  readonly #tty: boolean;
  #exited = false;
  #inputClosed = false;

  constructor(connection: AgentConnection, spec: AgentProcessSpec) {
    this.#connection = connection;
    this.#tty = spec.terminal !== undefined;
    const decoders = { 1: new TextDecoder(), 2: new TextDecoder() };
    const emit = (stream: 1 | 2, bytes: Uint8Array, final = false) => {
      const text = decoders[stream].decode(bytes, { stream: !final });
      if (!text) return;
      this.stream.next(text);
      (stream === 1 ? this.stdout : this.stderr).next(text);
    };
    let settle!: (code: number) => void;
    this.exit = new Promise<number>((resolve) => (settle = resolve));
    const finish = async (code: number, oomKills: number | undefined, lost: boolean) => {
      if (this.#exited) return;
      this.#exited = true;
      this.channel.release();
      emit(1, new Uint8Array(), true);
      emit(2, new Uint8Array(), true);
      // The exit code stays the contract's (137 after SIGKILL); the reader also gets the reason, last in the output.
      // Bounded: a sandbox in trouble must not hold back the exit itself.
      const note = await raceSignal(spec.explainExit(code, oomKills, lost), AbortSignal.timeout(EXPLAIN_WITHIN_MS)).catch(() => undefined);
      const newline = this.#tty ? '\r\n' : '\n';
      if (note) emit(this.#tty ? 1 : 2, new TextEncoder().encode(`${newline}[code-sandbox] ${note}${newline}`), true);
      for (const subject of [this.stream, this.stdout, this.stderr]) subject.complete();
      settle(code);
    };
    this.channel = connection.openChannel({
      data: (stream, bytes) => {
        emit(stream === 2 ? 2 : 1, bytes);
        this.channel.receive.consumed(bytes.length);
      },
      event: (event) => {
        if (event.event === 'exit') void finish(event.code, event.oomKills, false);
      },
      lost: () => void finish(137, undefined, true),
    });
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.#exited || this.#inputClosed) return;
    await this.channel.write(typeof data === 'string' ? new TextEncoder().encode(data) : data).catch(() => undefined);
  }

  async closeInput(): Promise<void> {
    if (this.#exited || this.#inputClosed) return;
    this.#inputClosed = true;
    await this.#connection.request('close-stdin', { channel: this.channel.id }).catch(() => undefined);
  }

  async resize(size: TerminalSize): Promise<void> {
    if (!this.#tty || this.#exited) return;
    await this.#connection.request('resize', { channel: this.channel.id, cols: size.cols, rows: size.rows }).catch(() => undefined);
  }

  async kill(signal: ProcessSignal = 'SIGTERM'): Promise<void> {
    if (this.#exited) return;
    // After exit the agent answers NO_SUCH_CHANNEL, and a lost connection ends the process anyway.
    await this.#connection.request('kill', { channel: this.channel.id, signal }).catch(() => undefined);
  }

  /**
   * Stops acknowledging the process's output until `resume()`: the agent stops
   * reading its pipe after one window, and the process blocks on write. Flow
   * control for a client that reads slowly.
   */
  pause(): void {
    this.channel.receive.pause();
  }

  /** Acknowledges output again after `pause()`. */
  resume(): void {
    this.channel.receive.resume();
  }

  /** Waits for the exit code; `timeout` and `signal` end the wait, not the process. */
  wait(options?: WaitOptions): Promise<number> {
    return raceSignal(this.exit, options && deadline(options, undefined, 'Waiting for the process to exit'));
  }
}
