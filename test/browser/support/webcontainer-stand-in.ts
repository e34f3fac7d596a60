/**
 * An in-page stand-in of the `@webcontainer/api` surface the browser engine uses
 * (the real service is out of reach from the test machines). It models what the
 * engine relies on, the way the real API behaves:
 *
 * - one boot per page: a boot waits for one under way, then throws "Only a single
 *   WebContainer instance can be booted" while one is booted; `teardown()` frees the
 *   page (a second teardown throws) and makes the instance unusable;
 * - a file system relative to `workdir` (`/home/<workdirName>`), with Node-style
 *   errors that carry only a message (as over the real API's Comlink boundary);
 * - `spawn` on a terminal: one output stream with stdout and stderr merged and
 *   "\n" turned into "\r\n", input echoed, an input stream whose close does
 *   nothing, `kill()` without signals;
 * - `server-ready` and `port` events when a process listens.
 *
 * Its programs are small: `node -e CODE` / `node FILE` run in a Worker with a
 * `process`/`console`/`require('http')` shim (no other modules, no real HTTP),
 * `npm install|ci` installs only `file:` dependencies (there is no registry),
 * `npm run|start` runs package.json scripts, and `jsh -c LINE` runs `&&`-joined
 * command lines. What it cannot model, the tests must not claim.
 */
import type { FileSystemTree } from '../../../src/engine/file-system-tree.js';
import type {
  WebContainerBootOptions,
  WebContainerDirEnt,
  WebContainerFileSystem,
  WebContainerInstance,
  WebContainerProcess,
  WebContainerSpawnOptions,
} from '../../../src/browser-engine/webcontainer-api.js';

/** The stand-in's exit code for a process `kill()` ended (the real API does not document one; the engine does not rely on it). */
export const STAND_IN_KILLED_EXIT_CODE = 1;

type FsNode = { kind: 'file'; data: Uint8Array } | { kind: 'dir'; children: Map<string, FsNode> };

/** An error as it arrives from the real API: a Node-style message, no `code`. */
function fsError(code: string, text: string, syscall: string, path: string): Error {
  return new Error(`${code}: ${text}, ${syscall} '${path}'`);
}

/** The in-memory file system; paths are relative to `workdir`, or absolute. */
export class StandInFileSystem implements WebContainerFileSystem {
  readonly #root: FsNode = { kind: 'dir', children: new Map() };
  readonly #workdir: string;
  readonly #alive: () => void;

  constructor(workdir: string, alive: () => void) {
    this.#workdir = workdir;
    this.#alive = alive;
    this.#mkdirp(workdir);
  }

  /** The absolute, normalised form of `path`. */
  absolute(path: string): string {
    const parts: string[] = [];
    for (const part of (path.startsWith('/') ? path : `${this.#workdir}/${path}`).split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') parts.pop();
      else parts.push(part);
    }
    return '/' + parts.join('/');
  }

  readFile(path: string, encoding?: null): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf-8'): Promise<string>;
  async readFile(path: string, encoding?: 'utf-8' | null): Promise<Uint8Array | string> {
    this.#alive();
    const absolute = this.absolute(path);
    const node = this.#find(absolute, 'open');
    if (!node) throw fsError('ENOENT', 'no such file or directory', 'open', absolute);
    if (node.kind === 'dir') throw new Error('EISDIR: illegal operation on a directory, read');
    return encoding ? new TextDecoder().decode(node.data) : node.data.slice();
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    this.#alive();
    const absolute = this.absolute(path);
    const { parent, name } = this.#parentOf(absolute, 'open');
    if (parent.children.get(name)?.kind === 'dir') throw fsError('EISDIR', 'illegal operation on a directory', 'open', absolute);
    parent.children.set(name, { kind: 'file', data: typeof data === 'string' ? new TextEncoder().encode(data) : data.slice() });
  }

  async mkdir(path: string, options: { recursive: true }): Promise<string> {
    this.#alive();
    void options;
    return this.#mkdirp(this.absolute(path)) as string;
  }

  async rm(path: string, options: { force?: boolean; recursive?: boolean } = {}): Promise<void> {
    this.#alive();
    const absolute = this.absolute(path);
    const node = this.#find(absolute, 'lstat');
    if (!node) {
      if (options.force) return;
      throw fsError('ENOENT', 'no such file or directory', 'lstat', absolute);
    }
    if (node.kind === 'dir' && !options.recursive) throw new Error(`Path is a directory: rm returned EISDIR (is a directory) ${absolute}`);
    const { parent, name } = this.#parentOf(absolute, 'rm');
    parent.children.delete(name);
  }

  async readdir(path: string, options: { withFileTypes: true }): Promise<WebContainerDirEnt[]> {
    this.#alive();
    void options;
    const absolute = this.absolute(path);
    const node = this.#find(absolute, 'scandir');
    if (!node) throw fsError('ENOENT', 'no such file or directory', 'scandir', absolute);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'not a directory', 'scandir', absolute);
    return [...node.children.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, child]) => ({ name, isFile: () => child.kind === 'file', isDirectory: () => child.kind === 'dir' }));
  }

  /** Writes a tree under `at` (absolute), as `mount` does. */
  writeTree(tree: FileSystemTree, at: string): void {
    this.#mkdirp(at);
    for (const [name, node] of Object.entries(tree)) {
      const path = `${at}/${name}`;
      if ('directory' in node) this.writeTree(node.directory, path);
      else if ('symlink' in node.file) throw new Error(`The stand-in does not model symlinks (${path}).`);
      else {
        const contents = node.file.contents;
        this.#parentOf(path, 'open').parent.children.set(name, { kind: 'file', data: typeof contents === 'string' ? new TextEncoder().encode(contents) : contents.slice() });
      }
    }
  }

  /** Copies a file or folder (absolute paths), as npm does for a `file:` dependency. */
  copy(from: string, to: string): void {
    const node = this.#find(from, 'copyfile');
    if (!node) throw fsError('ENOENT', 'no such file or directory', 'copyfile', from);
    const target = this.absolute(to);
    this.#mkdirp(target.slice(0, target.lastIndexOf('/')) || '/');
    const { parent, name } = this.#parentOf(target, 'copyfile');
    parent.children.set(name, clone(node));
  }

  #find(absolute: string, syscall: string): FsNode | undefined {
    let node: FsNode = this.#root;
    for (const part of absolute.split('/').filter(Boolean)) {
      if (node.kind !== 'dir') throw fsError('ENOTDIR', 'not a directory', syscall, absolute);
      const child = node.children.get(part);
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  #parentOf(absolute: string, syscall: string): { parent: Extract<FsNode, { kind: 'dir' }>; name: string } {
    const cut = absolute.lastIndexOf('/');
    const parent = this.#find(absolute.slice(0, cut) || '/', syscall);
    if (!parent) throw fsError('ENOENT', 'no such file or directory', syscall, absolute);
    if (parent.kind !== 'dir') throw fsError('ENOTDIR', 'not a directory', syscall, absolute);
    return { parent, name: absolute.slice(cut + 1) };
  }

  /** `mkdir -p`; returns the first folder it created, as Node's recursive mkdir does. */
  #mkdirp(absolute: string): string | undefined {
    let node: FsNode = this.#root;
    let path = '';
    let first: string | undefined;
    for (const part of absolute.split('/').filter(Boolean)) {
      path += `/${part}`;
      if (node.kind !== 'dir') throw fsError('ENOTDIR', 'not a directory', 'mkdir', absolute);
      let child = node.children.get(part);
      if (!child) {
        node.children.set(part, (child = { kind: 'dir', children: new Map() }));
        first ??= path;
      }
      node = child;
    }
    if (node.kind !== 'dir') throw fsError('EEXIST', 'file already exists', 'mkdir', absolute);
    return first;
  }
}

function clone(node: FsNode): FsNode {
  return node.kind === 'file'
    ? { kind: 'file', data: node.data.slice() }
    : { kind: 'dir', children: new Map([...node.children].map(([name, child]) => [name, clone(child)])) };
}

/** What a running program of the stand-in gets. */
interface ProgramContext {
  container: WebContainerStandIn;
  /** Absolute working directory. */
  cwd: string;
  env: Record<string, string>;
  terminal: { cols: number; rows: number };
  /** Writes to the terminal (programs do their own "\r\n"). */
  write(text: string): void;
  /** Fires when the process is killed. */
  killed: AbortSignal;
  /** Makes `receiver` the foreground program: it gets input and resizes. */
  foreground(receiver: Foreground): void;
}

interface Foreground {
  input(data: string): void;
  resize(size: { cols: number; rows: number }): void;
}

/** A process of the stand-in: the real `WebContainerProcess` surface. */
class StandInProcess implements WebContainerProcess {
  readonly output: ReadableStream<string>;
  readonly input: WritableStream<string>;
  readonly exit: Promise<number>;
  readonly command: string;
  readonly cwd: string;
  readonly #killed = new AbortController();
  #controller: ReadableStreamDefaultController<string> | undefined;
  #foreground: Foreground | undefined;
  #terminal: { cols: number; rows: number };

  constructor(container: WebContainerStandIn, command: string, args: string[], options: WebContainerSpawnOptions) {
    this.command = [command, ...args].join(' ');
    this.cwd = container.fs.absolute(options.cwd ?? '.');
    this.#terminal = options.terminal ?? { cols: 80, rows: 24 };
    this.output = new ReadableStream<string>({ start: (controller) => void (this.#controller = controller) });
    // Like the real one: writes go to the terminal; closing the stream ends nothing.
    this.input = new WritableStream<string>({ write: (data) => this.#type(data) });
    const context: ProgramContext = {
      container,
      cwd: this.cwd,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home', ...Object.fromEntries(Object.entries(options.env ?? {}).map(([k, v]) => [k, String(v)])) },
      terminal: this.#terminal,
      write: (text) => this.#controller?.enqueue(text),
      killed: this.#killed.signal,
      foreground: (receiver) => (this.#foreground = receiver),
    };
    this.exit = runCommand(command, args, context).then((code) => {
      this.#controller?.close();
      this.#controller = undefined;
      return this.#killed.signal.aborted ? STAND_IN_KILLED_EXIT_CODE : code;
    });
  }

  kill(): void {
    this.#killed.abort();
  }

  resize(dimensions: { cols: number; rows: number }): void {
    this.#terminal = dimensions;
    this.#foreground?.resize(dimensions);
  }

  /** A terminal echoes what is typed and turns Enter ("\r") into "\n" for the program. */
  #type(data: string): void {
    this.#controller?.enqueue(data.replace(/\r\n?|\n/g, '\r\n'));
    this.#foreground?.input(data.replace(/\r\n?/g, '\n'));
  }
}

/** Test controls and introspection of the stand-in (the real API has none of these). */
export interface StandInControls {
  /** Runs inside each boot before it finishes: make it hang (a service that never answers) or throw. */
  beforeBoot: ((options: WebContainerBootOptions) => Promise<void>) | undefined;
  /** How many times `boot` and `teardown` were called. */
  boots: number;
  teardowns: number;
  /** The options of the last boot. */
  lastBootOptions: WebContainerBootOptions | undefined;
}

/** The stand-in of `WebContainer`: pass the class itself as the engine's `api`. */
export class WebContainerStandIn implements WebContainerInstance {
  static #instance: WebContainerStandIn | undefined;
  static #booting: Promise<unknown> | undefined;
  /** Test controls; see `StandInControls`. */
  static readonly controls: StandInControls = { beforeBoot: undefined, boots: 0, teardowns: 0, lastBootOptions: undefined };

  readonly fs: StandInFileSystem;
  readonly workdir: string;
  readonly processes = new Set<StandInProcess>();
  readonly #listeners = new Map<string, Set<(...args: never[]) => void>>();
  #tornDown = false;

  /** The booted instance, if any (tests only). */
  static get current(): WebContainerStandIn | undefined {
    return WebContainerStandIn.#instance;
  }

  /** Boots the page's one WebContainer, with the real API's locking. */
  static async boot(options: WebContainerBootOptions = {}): Promise<WebContainerStandIn> {
    const controls = WebContainerStandIn.controls;
    controls.boots++;
    controls.lastBootOptions = options;
    if (options.workdirName?.includes('/') || options.workdirName === '..' || options.workdirName === '.') {
      throw new Error('workdirName should be a valid folder name');
    }
    while (WebContainerStandIn.#booting) await WebContainerStandIn.#booting;
    if (WebContainerStandIn.#instance) throw new Error('Only a single WebContainer instance can be booted');
    const booting = (async () => {
      await controls.beforeBoot?.(options);
      return new WebContainerStandIn(options.workdirName ?? 'stand-in-project');
    })();
    WebContainerStandIn.#booting = booting.catch(() => undefined);
    try {
      const instance = await booting;
      WebContainerStandIn.#instance = instance;
      return instance;
    } finally {
      WebContainerStandIn.#booting = undefined;
    }
  }

  private constructor(workdirName: string) {
    this.workdir = `/home/${workdirName}`;
    this.fs = new StandInFileSystem(this.workdir, () => this.#assertAlive());
  }

  async spawn(command: string, args: string[], options: WebContainerSpawnOptions = {}): Promise<WebContainerProcess> {
    this.#assertAlive();
    const process = new StandInProcess(this, command, args, options);
    this.processes.add(process);
    void process.exit.then(() => this.processes.delete(process));
    return process;
  }

  on(event: 'server-ready', listener: (port: number, url: string) => void): () => void;
  on(event: 'port', listener: (port: number, type: 'open' | 'close', url: string) => void): () => void;
  on(event: string, listener: (...args: never[]) => void): () => void {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(listener);
    return () => this.#listeners.get(event)?.delete(listener);
  }

  async mount(tree: FileSystemTree, options: { mountPoint?: string } = {}): Promise<void> {
    this.#assertAlive();
    this.fs.writeTree(tree, this.fs.absolute(options.mountPoint ?? '.'));
  }

  teardown(): void {
    if (this.#tornDown) throw new Error('WebContainer already torn down');
    this.#tornDown = true;
    WebContainerStandIn.controls.teardowns++;
    for (const process of this.processes) process.kill();
    if (WebContainerStandIn.#instance === this) WebContainerStandIn.#instance = undefined;
  }

  /** A process started listening on `port` (from the stand-in's node). */
  listened(port: number, open: boolean): void {
    const url = `https://stand-in--${port}.local-credentialless.webcontainer-api.invalid`;
    this.#emit('port', port, open ? 'open' : 'close', url);
    if (open) this.#emit('server-ready', port, url);
  }

  #emit(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) (listener as (...values: unknown[]) => void)(...args);
  }

  #assertAlive(): void {
    if (this.#tornDown) throw new Error('Proxy has been released and is not useable');
  }
}

// ---- programs -------------------------------------------------------------

async function runCommand(command: string, args: string[], context: ProgramContext): Promise<number> {
  try {
    switch (command) {
      case 'node':
        return await runNode(args, context);
      case 'jsh':
        if (args[0] !== '-c' || args[1] === undefined) {
          context.write('The stand-in\'s jsh only runs `jsh -c LINE`.\r\n');
          return 1;
        }
        return await runLine(args[1], context);
      case 'npm':
        return await runNpm(args, context);
      default:
        context.write(`jsh: command not found: ${command}\r\n`);
        return 127;
    }
  } catch (error) {
    context.write(`${(error as Error).message}\r\n`);
    return 1;
  }
}

/** Runs a command line: `&&`-joined commands with quotes and `$VAR`. */
async function runLine(line: string, context: ProgramContext): Promise<number> {
  let code = 0;
  for (const words of parseLine(line, context.env)) {
    if (context.killed.aborted) return code;
    if (words.length === 0) continue;
    code = await runCommand(words[0]!, words.slice(1), context);
    if (code !== 0) return code;
  }
  return code;
}

function parseLine(line: string, env: Record<string, string>): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  const push = () => {
    if (word !== undefined) commands[commands.length - 1]!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (c === '$' && /[A-Za-z_]/.test(line[i + 1] ?? '')) {
      const name = /^[A-Za-z_]\w*/.exec(line.slice(i + 1))![0];
      word = (word ?? '') + (env[name] ?? '');
      i += name.length;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      push();
    } else if (c === '&' && line[i + 1] === '&') {
      push();
      commands.push([]);
      i++;
    } else {
      word = (word ?? '') + c;
    }
  }
  push();
  return commands;
}

async function runNode(args: string[], context: ProgramContext): Promise<number> {
  let code: string;
  let filename = '[eval]';
  let argv: string[];
  if (args[0] === '-e' || args[0] === '--eval') {
    code = args[1] ?? '';
    argv = ['/usr/local/bin/node', ...args.slice(2)];
  } else if (args[0] !== undefined) {
    filename = context.container.fs.absolute(args[0].startsWith('/') ? args[0] : `${context.cwd}/${args[0]}`);
    try {
      code = await context.container.fs.readFile(filename, 'utf-8');
    } catch {
      context.write(`node:internal/modules/cjs/loader\r\nError: Cannot find module '${filename}'\r\n`);
      return 1;
    }
    argv = ['/usr/local/bin/node', filename, ...args.slice(1)];
  } else {
    context.write('The stand-in\'s node has no REPL; pass a file or -e CODE.\r\n');
    return 1;
  }
  const worker = new Worker(new URL('./stand-in-node-worker.js', import.meta.url));
  const ports = new Set<number>();
  const closePorts = () => {
    for (const port of ports) context.container.listened(port, false);
    ports.clear();
  };
  try {
    return await new Promise<number>((resolve) => {
      worker.onmessage = ({ data }: MessageEvent<{ type: string; data?: string; code?: number; port?: number }>) => {
        if (data.type === 'output') context.write(data.data!);
        else if (data.type === 'exit') resolve(data.code!);
        else if (data.type === 'listen') {
          ports.add(data.port!);
          context.container.listened(data.port!, true);
        } else if (data.type === 'unlisten') {
          ports.delete(data.port!);
          context.container.listened(data.port!, false);
        }
      };
      worker.onerror = (event) => {
        context.write(`${event.message}\r\n`);
        resolve(1);
      };
      context.killed.addEventListener('abort', () => resolve(STAND_IN_KILLED_EXIT_CODE), { once: true });
      if (context.killed.aborted) resolve(STAND_IN_KILLED_EXIT_CODE);
      context.foreground({
        input: (data) => worker.postMessage({ type: 'stdin', data }),
        resize: (size) => worker.postMessage({ type: 'resize', ...size }),
      });
      worker.postMessage({ type: 'run', code, filename, argv, env: context.env, cwd: context.cwd, terminal: context.terminal });
    });
  } finally {
    worker.terminate();
    closePorts();
  }
}

interface PackageJson {
  name?: string;
  version?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function runNpm(args: string[], context: ProgramContext): Promise<number> {
  const { fs } = context.container;
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(await fs.readFile(`${context.cwd}/package.json`, 'utf-8')) as PackageJson;
  } catch {
    context.write(`npm ERR! code ENOENT\r\nnpm ERR! enoent Could not read package.json in ${context.cwd}\r\n`);
    return 254;
  }
  const [command = '', ...rest] = args;
  if (['install', 'i', 'ci'].includes(command)) {
    const lock = await fs.readFile(`${context.cwd}/package-lock.json`).then(() => true, () => false);
    if (command === 'ci' && !lock) {
      context.write('npm ERR! The `npm ci` command can only install with an existing package-lock.json.\r\n');
      return 1;
    }
    const dependencies = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies });
    for (const [name, spec] of dependencies) {
      if (context.killed.aborted) return STAND_IN_KILLED_EXIT_CODE;
      if (!spec.startsWith('file:')) {
        context.write(`npm ERR! The in-page stand-in of @webcontainer/api has no package registry: cannot fetch ${name}@${spec}.\r\n`);
        return 1;
      }
      fs.copy(fs.absolute(`${context.cwd}/${spec.slice('file:'.length)}`), `${context.cwd}/node_modules/${name}`);
    }
    await fs.writeFile(`${context.cwd}/package-lock.json`, JSON.stringify({ name: pkg.name, lockfileVersion: 3, requires: true, packages: {} }, null, 2));
    context.write(dependencies.length ? `\r\nadded ${dependencies.length} packages in 0.1s\r\n` : '\r\nup to date in 0.1s\r\n');
    return 0;
  }
  const script = command === 'run' ? rest[0] : command;
  if (command === 'run' || command === 'start' || command === 'test') {
    const line = script === undefined ? undefined : pkg.scripts?.[script];
    if (line === undefined) {
      context.write(`npm ERR! Missing script: "${script ?? ''}"\r\n`);
      return 1;
    }
    context.write(`\r\n> ${pkg.name ?? ''}@${pkg.version ?? ''} ${script}\r\n> ${line}\r\n\r\n`);
    return runLine(line, context);
  }
  context.write(`npm ERR! The stand-in's npm knows install, ci, run and start, not "${command}".\r\n`);
  return 1;
}
