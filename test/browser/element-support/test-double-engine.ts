/**
 * A TEST DOUBLE of ContainerEngine for the element's UI tests: in memory, no
 * sandbox, scripted behaviour. It stands in for an engine only where a test is
 * about the element (status, events, fallback decisions, terminal plumbing);
 * the end-to-end tests use the real engines.
 */
import { ContainerEngine, type DevServer, type DevServerOptions, type ExecOptions, type InstallOptions, type ProcessHandle, type ProcessSignal, type TerminalSize } from '../../../src/engine/container-engine.js';
import { AbortError, BootTimeoutError, EngineUnavailableError } from '../../../src/engine/errors.js';
import { flattenTree, type DirEntry, type FileSystemTree } from '../../../src/engine/file-system-tree.js';
import { OutputSubject } from '../../../src/engine/observable.js';
import type { PortEvent } from '../../../src/engine/ports.js';
import type { WaitOptions } from '../../../src/engine/wait.js';
import type { EngineFactory } from '../../../src/element/engine-loader.js';
import type { EngineKind } from '../../../src/selection/select-engine.js';

/** A scripted process: the test decides what it prints and when it exits. */
export class TestDoubleProcess implements ProcessHandle {
  readonly stream = new OutputSubject<string>();
  readonly stdout = this.stream;
  readonly stderr = new OutputSubject<string>();
  readonly exit: Promise<number>;
  readonly input: string[] = [];
  readonly sizes: TerminalSize[] = [];
  readonly signals: ProcessSignal[] = [];
  #exit!: (code: number) => void;
  #exited = false;

  constructor(readonly cmd: string, readonly args: string[], readonly options: ExecOptions) {
    this.exit = new Promise((resolve) => (this.#exit = resolve));
  }

  print(text: string): void {
    this.stream.next(text);
  }

  end(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.stream.complete();
    this.#exit(code);
  }

  async write(data: string | Uint8Array): Promise<void> {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    this.input.push(text);
    this.print(text === '\r' ? '\r\n' : text); // a terminal echoes what is typed
  }

  async closeInput(): Promise<void> {}

  async resize(size: TerminalSize): Promise<void> {
    this.sizes.push(size);
  }

  async kill(signal: ProcessSignal = 'SIGTERM'): Promise<void> {
    this.signals.push(signal);
    this.end(signal === 'SIGKILL' ? 137 : signal === 'SIGINT' ? 130 : 143);
  }

  wait(): Promise<number> {
    return this.exit;
  }
}

/** How a test double engine behaves. */
export interface TestDoubleBehaviour {
  /** `fail` rejects with EngineUnavailableError, `hang` never settles until its timeout. */
  boot?: 'ok' | 'fail' | 'hang';
  /** Called for every process started; by default it prints "ran CMD ARGS" and exits 0. */
  onExec?: (process: TestDoubleProcess, engine: TestDoubleEngine) => void;
  /** Exit code of installDependencies (default 0). */
  installCode?: number;
  /** URL the dev server "answers" on. */
  devServerUrl?: string;
}

/** The test double engine; `TestDoubleEngine.created` lists every instance. */
export class TestDoubleEngine extends ContainerEngine {
  static created: TestDoubleEngine[] = [];
  readonly files = new Map<string, string | Uint8Array>();
  readonly processes: TestDoubleProcess[] = [];
  readonly calls: string[] = [];

  constructor(readonly kind: EngineKind, readonly behaviour: TestDoubleBehaviour = {}) {
    super();
    TestDoubleEngine.created.push(this);
  }

  override async boot(options?: WaitOptions): Promise<void> {
    this.calls.push('boot');
    this.setStatus('booting');
    if (this.behaviour.boot === 'fail') {
      this.setStatus('failed');
      throw new EngineUnavailableError('The test double refuses to boot. Nothing to fix: this is on purpose.');
    }
    if (this.behaviour.boot === 'hang') {
      await new Promise((_, reject) => {
        setTimeout(() => reject(new BootTimeoutError(`The test double did not boot within ${options?.timeout} ms.`)), options?.timeout ?? 60_000);
        options?.signal?.addEventListener('abort', () => reject(new AbortError()), { once: true });
      });
    }
    this.setStatus('ready');
  }

  override async teardown(): Promise<void> {
    this.calls.push('teardown');
    for (const process of this.processes) process.end(137);
    this.setStatus('torn-down');
  }

  override async mount(tree: FileSystemTree): Promise<void> {
    this.calls.push('mount');
    for (const entry of flattenTree(tree)) if (entry.kind === 'file') this.files.set(entry.path, entry.contents);
  }

  override async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    this.calls.push(`write ${path}`);
    this.files.set(path, content);
  }

  override async readFile(path: string): Promise<string> {
    const content = this.files.get(path);
    return typeof content === 'string' ? content : new TextDecoder().decode(content);
  }

  override async readFileBytes(path: string): Promise<Uint8Array> {
    return new TextEncoder().encode(await this.readFile(path));
  }

  override async deleteFile(path: string): Promise<void> {
    this.files.delete(path);
  }

  override async readdir(): Promise<DirEntry[]> {
    return [...this.files.keys()].map((name) => ({ name, kind: 'file' }));
  }

  override async exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<ProcessHandle> {
    this.assertReady('run a process');
    this.calls.push(`exec ${[cmd, ...args].join(' ')}`);
    const process = new TestDoubleProcess(cmd, args, options);
    this.processes.push(process);
    const onExec = this.behaviour.onExec ?? ((p) => {
      p.print(`ran ${[cmd, ...args].join(' ')}\n`);
      p.end(0);
    });
    queueMicrotask(() => onExec(process, this));
    return process;
  }

  /** A port opens or closes in the double's "sandbox", as an engine reports it. */
  port(event: PortEvent): void {
    this.reportPort(event);
  }

  override async installDependencies(options: InstallOptions = {}): Promise<number> {
    this.calls.push(`install${options.command ? ` ${options.command}` : ''}`);
    options.onOutput?.('installed 0 packages\n');
    return this.behaviour.installCode ?? 0;
  }

  override async startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
    this.calls.push(`dev-server${options.command ? ` ${options.command}` : ''}`);
    const process = new TestDoubleProcess('dev-server', [], {});
    this.processes.push(process);
    process.print('listening\n');
    return { url: this.behaviour.devServerUrl ?? 'http://127.0.0.1:9/', logs: process.stream, port: options.port ?? 3000, process };
  }
}

/** An engine factory of test doubles, one behaviour per kind. */
export function testDoubleFactory(behaviours: Partial<Record<EngineKind, TestDoubleBehaviour>> = {}): EngineFactory {
  return async (kind) => new TestDoubleEngine(kind, behaviours[kind] ?? {});
}
