import { InvalidPathError } from './errors.js';

/**
 * The file tree engines mount. Same shape as @webcontainer/api's `FileSystemTree`,
 * so a tree written for WebContainers mounts unchanged on any engine.
 */

/** A file: text or binary contents. */
export interface FileNode {
  file: { contents: string | Uint8Array };
}

/** A symbolic link; `symlink` is its target, relative to the link's folder. */
export interface SymlinkNode {
  file: { symlink: string };
}

/** A folder and what it holds. */
export interface DirectoryNode {
  directory: FileSystemTree;
}

/** Names mapped to files, symlinks and folders. */
export interface FileSystemTree {
  [name: string]: FileNode | SymlinkNode | DirectoryNode;
}

/** One entry of a flattened tree, with its workspace-relative path. */
export type TreeEntry =
  | { kind: 'file'; path: string; contents: string | Uint8Array }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'directory'; path: string };

/** An entry `readdir` reports. */
export interface DirEntry {
  name: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
}

/**
 * Lists every entry of a tree, parents before children, with slash-joined paths.
 * Throws `InvalidPathError` for a name that is not a single file or folder name
 * (empty, `.`, `..`, or with a slash or NUL byte), so a tree cannot climb out.
 */
export function flattenTree(tree: FileSystemTree, prefix = ''): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const [name, node] of Object.entries(tree)) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
      throw InvalidPathError.because(path, 'each name in a file tree must be one file or folder name, without slashes or ".."');
    }
    if (node === null || typeof node !== 'object') throw InvalidPathError.because(path, 'a tree entry must be {file: ...} or {directory: ...}');
    if ('directory' in node) {
      entries.push({ kind: 'directory', path });
      entries.push(...flattenTree(node.directory, path));
    } else if ('symlink' in node.file) {
      entries.push({ kind: 'symlink', path, target: node.file.symlink });
    } else {
      entries.push({ kind: 'file', path, contents: node.file.contents });
    }
  }
  return entries;
}

/** Bytes of a file's contents (UTF-8 for text). */
export function contentBytes(contents: string | Uint8Array): Uint8Array {
  return typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
}

/** Rebuilds a tree from flattened entries (the inverse of `flattenTree`). */
export function treeFromEntries(entries: TreeEntry[]): FileSystemTree {
  // Null-prototype folders, so a file named "__proto__" is a file like any other.
  const folderOf = (): FileSystemTree => Object.create(null) as FileSystemTree;
  const root = folderOf();
  for (const entry of entries) {
    const names = entry.path.split('/');
    const name = names.pop()!;
    let folder = root;
    for (const part of names) {
      const node = (folder[part] ??= { directory: folderOf() });
      if (!('directory' in node)) throw InvalidPathError.because(entry.path, `"${part}" is a file, not a folder`);
      folder = node.directory;
    }
    if (entry.kind === 'directory') folder[name] ??= { directory: folderOf() };
    else if (entry.kind === 'symlink') folder[name] = { file: { symlink: entry.target } };
    else folder[name] = { file: { contents: entry.contents } };
  }
  return root;
}
