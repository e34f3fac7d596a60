/**
 * Workspace paths. Every engine resolves a caller's path here first, so a path
 * that escapes the workspace is refused the same way everywhere, before anything
 * is read or written.
 */
import { InvalidPathError } from './errors.js';
import { flattenTree, type FileSystemTree, type TreeEntry } from './file-system-tree.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where every engine's workspace lives inside its sandbox. */
export const WORKSPACE = '/workspace';

/**
 * Resolves `path` (relative to the workspace, or absolute under `/workspace`) to a
 * normalised relative path such as `src/index.js`; `''` is the workspace itself.
 * Throws `InvalidPathError` for NUL bytes, and for `..` or absolute paths that
 * leave the workspace.
 */
export function workspaceRelative(path: string): string {
  if (typeof path !== 'string') throw InvalidPathError.because(String(path), 'a path must be a string');
  if (path.includes('\0')) throw InvalidPathError.because(path, 'it contains a NUL byte');
  // A lone UTF-16 surrogate has no UTF-8 form: it would reach the disk as U+FFFD, a different name.
  if (LONE_SURROGATE.test(path)) throw InvalidPathError.because(path, 'it is not valid Unicode (it holds a lone surrogate)');
  if (path.length > 4096) throw InvalidPathError.because(path.slice(0, 64) + '…', 'it is longer than 4096 characters');
  let rest = path.replace(/\\/g, '/');
  if (rest.startsWith('/')) {
    if (rest !== WORKSPACE && !rest.startsWith(WORKSPACE + '/')) {
      throw InvalidPathError.because(path, `absolute paths must be inside ${WORKSPACE}`);
    }
    rest = rest.slice(WORKSPACE.length);
  }
  const parts: string[] = [];
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw InvalidPathError.because(path, 'it leaves the workspace through ".."');
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** Like `workspaceRelative`, but the workspace root itself is refused (a file needs a name). */
export function workspaceFilePath(path: string): string {
  const relative = workspaceRelative(path);
  if (relative === '') throw InvalidPathError.because(path, 'it names the workspace folder, not a file');
  return relative;
}

/** The absolute in-sandbox path of a workspace-relative path. */
export function absoluteInWorkspace(relative: string): string {
  return relative ? `${WORKSPACE}/${relative}` : WORKSPACE;
}

/**
 * Refuses a symlink at workspace-relative `path` whose `target` (relative to the
 * link's folder, or absolute) leads outside the workspace: reads and writes
 * through it would leave the workspace.
 */
export function checkSymlinkTarget(path: string, target: string): void {
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  try {
    if (target === '') throw InvalidPathError.because(target, 'empty');
    workspaceRelative(target.startsWith('/') || !folder ? target : `${folder}/${target}`);
  } catch (error) {
    if (!(error instanceof InvalidPathError)) throw error;
    throw InvalidPathError.because(path, `its symlink target ${JSON.stringify(target)} is empty or leads outside the workspace`);
  }
}

/**
 * The entries of a tree to mount, each path checked and normalised as
 * `workspaceFilePath` does; throws before anything is written.
 */
export function workspaceEntries(files: FileSystemTree): TreeEntry[] {
  if (files === null || typeof files !== 'object') throw new TypeError('mount() takes a FileSystemTree object.');
  return flattenTree(files).map((entry) => ({ ...entry, path: workspaceFilePath(entry.path) }));
}
