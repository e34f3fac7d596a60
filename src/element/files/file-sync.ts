/**
 * What the sandbox has seen of the files, so a run (or a keystroke while a dev
 * server runs) writes only the files that changed since, not the whole tree.
 * A mount makes everything seen; a write makes one file seen.
 */
import { flattenTree, type FileSystemTree } from '../../engine/file-system-tree.js';

/** A file to write: its path in the workspace and its contents. */
export interface FileWrite {
  path: string;
  contents: string | Uint8Array;
}

export class FileSync {
  readonly #seen = new Map<string, string | Uint8Array>();

  /** The whole tree was mounted: the sandbox has seen exactly these files. */
  mounted(tree: FileSystemTree): void {
    this.#seen.clear();
    for (const entry of flattenTree(tree)) if (entry.kind === 'file') this.#seen.set(entry.path, entry.contents);
  }

  /** The files of `tree` the sandbox has not seen with these contents. */
  changes(tree: FileSystemTree): FileWrite[] {
    const writes: FileWrite[] = [];
    for (const entry of flattenTree(tree)) {
      if (entry.kind === 'file' && !sameContents(this.#seen.get(entry.path), entry.contents)) {
        writes.push({ path: entry.path, contents: entry.contents });
      }
    }
    return writes;
  }

  /** One file was written. */
  wrote({ path, contents }: FileWrite): void {
    this.#seen.set(path, contents);
  }
}

function sameContents(a: string | Uint8Array | undefined, b: string | Uint8Array): boolean {
  if (a === undefined) return false;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
