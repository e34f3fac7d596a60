/**
 * A process spawned in a WebContainer, as a `ProcessHandle`. WebContainer runs
 * every process on a terminal: one output stream (stderr merges into it), input
 * as keystrokes, and `kill()` without a choice of signal.
 */
import type { ProcessHandle, ProcessSignal, TerminalSize } from '../engine/container-engine.js';
import { OutputSubject } from '../engine/observable.js';
import { sleep, waitForExit, type WaitOptions } from '../engine/wait.js';
import type { WebContainerProcess } from './webcontainer-api.js';

/** Signal numbers, for the 128 + N exit code of a process `kill` ended. */
const SIGNAL_NUMBERS: Record<ProcessSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/** How long `exit` waits after the process ended for output its descendants still hold open. */
const OUTPUT_GRACE_MS = 1000;

/** A WebContainer process; see `ProcessHandle` for its guarantees. */
export class BrowserProcess implements ProcessHandle {
  /** Everything the process prints (its terminal's output). */
  readonly stream = new OutputSubject<string>();
  /** The same as `stream`: on a terminal, stdout carries everything. */
  readonly stdout = new OutputSubject<string>();
  /** Always empty: WebContainer merges stderr into the terminal's output. */
  readonly stderr = new OutputSubject<string>();
  /** The exit code, 128 + N when `kill(signal N)` ended the process. Never rejects. */
  readonly exit: Promise<number>;
  readonly #process: WebContainerProcess;
  readonly #input: WritableStreamDefaultWriter<string>;
  readonly #inputDecoder = new TextDecoder();
  #killedBy: ProcessSignal | undefined;
  /** The process has ended (its output may still be draining). */
  #ended = false;
  #inputClosed = false;

  /** Wraps a spawned process. */
  constructor(process: WebContainerProcess) {
    this.#process = process;
    this.#input = process.input.getWriter();
    const reader = process.output.getReader();
    const drained = this.#pump(reader);
    this.exit = process.exit
      .catch(() => 1) // the WebContainer went away under the process
      .then(async (code) => {
        this.#ended = true;
        await Promise.race([drained, sleep(OUTPUT_GRACE_MS)]);
        void reader.cancel().catch(() => undefined);
        for (const subject of [this.stream, this.stdout, this.stderr]) subject.complete();
        return this.#killedBy ? 128 + SIGNAL_NUMBERS[this.#killedBy] : code;
      });
  }

  /** Types `data` on the process's terminal. */
  async write(data: string | Uint8Array): Promise<void> {
    if (this.#ended || this.#inputClosed) return;
    const text = typeof data === 'string' ? data : this.#inputDecoder.decode(data, { stream: true });
    if (text) await this.#input.write(text);
  }

  /** Stops input. A WebContainer terminal has no end-of-file, so a program reading to the end keeps waiting. */
  async closeInput(): Promise<void> {
    if (this.#inputClosed) return;
    this.#inputClosed = true;
    await this.#input.close().catch(() => undefined);
  }

  /** Resizes the process's terminal. */
  async resize(size: TerminalSize): Promise<void> {
    if (!this.#ended) this.#process.resize({ cols: size.cols, rows: size.rows });
  }

  /** Ends the process (WebContainer has one kill, whatever the signal); `exit` then reports 128 + the signal's number. */
  async kill(signal: ProcessSignal = 'SIGTERM'): Promise<void> {
    if (this.#ended) return;
    this.#killedBy ??= signal;
    this.#process.kill();
  }

  /** Waits for the exit code; the wait (not the process) can be cancelled. */
  wait(options?: WaitOptions): Promise<number> {
    return waitForExit(this.exit, options);
  }

  async #pump(reader: ReadableStreamDefaultReader<string>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.stream.next(value);
        this.stdout.next(value);
      }
    } catch {
      // The stream broke with its WebContainer; `exit` ends the subjects.
    }
  }
}
