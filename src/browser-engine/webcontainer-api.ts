/**
 * The part of `@webcontainer/api` the browser engine uses, as structural types:
 * the real `WebContainer` class satisfies them (checked where it is loaded), and so
 * does the in-page stand-in the tests inject. Nothing here imports the package.
 */
import type { FileSystemTree } from '../engine/file-system-tree.js';

/** `WebContainer.boot`'s options that the engine passes through. */
export interface WebContainerBootOptions {
  /** The page's Cross-Origin-Embedder-Policy, so the service iframe matches it. */
  coep?: 'require-corp' | 'credentialless' | 'none';
  /** Forward errors of preview iframes to the page. */
  forwardPreviewErrors?: boolean | 'exceptions-only';
  /** Folder name of the WebContainer's working directory. */
  workdirName?: string;
}

/** A directory entry, as `readdir(path, {withFileTypes: true})` gives it. */
export interface WebContainerDirEnt {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The `fs.promises`-like file system of a WebContainer, relative to its workdir. */
export interface WebContainerFileSystem {
  readFile(path: string, encoding?: null): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf-8'): Promise<string>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<string>;
  rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void>;
  readdir(path: string, options: { withFileTypes: true }): Promise<WebContainerDirEnt[]>;
}

/** A process started with `spawn`: one terminal output stream, its input, its exit code. */
export interface WebContainerProcess {
  exit: Promise<number>;
  input: WritableStream<string>;
  output: ReadableStream<string>;
  kill(): void;
  resize(dimensions: { cols: number; rows: number }): void;
}

/** How `spawn` runs a process. */
export interface WebContainerSpawnOptions {
  /** Relative to the WebContainer's workdir. */
  cwd?: string;
  env?: Record<string, string | number | boolean>;
  terminal?: { cols: number; rows: number };
}

/** A booted WebContainer. */
export interface WebContainerInstance {
  readonly fs: WebContainerFileSystem;
  /** Absolute path of the working directory every relative path starts from. */
  readonly workdir: string;
  spawn(command: string, args: string[], options?: WebContainerSpawnOptions): Promise<WebContainerProcess>;
  on(event: 'server-ready', listener: (port: number, url: string) => void): () => void;
  /** A port began (`open`) or stopped (`close`) listening; `url` previews it. */
  on(event: 'port', listener: (port: number, type: 'open' | 'close', url: string) => void): () => void;
  mount(tree: FileSystemTree, options?: { mountPoint?: string }): Promise<void>;
  teardown(): void;
}

/** What boots a WebContainer: the package's `WebContainer` class, or a stand-in of it. */
export interface WebContainerApi {
  boot(options?: WebContainerBootOptions): Promise<WebContainerInstance>;
}

/** Loads the real `@webcontainer/api` on first use, so importing the engine boots and fetches nothing. */
export async function loadWebContainerApi(): Promise<WebContainerApi> {
  const { WebContainer } = await import('@webcontainer/api');
  return WebContainer;
}
