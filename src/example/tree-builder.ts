/**
 * Building and combining file trees for a sandbox (DOM-free): nested paths into
 * folders, trees merged with later ones winning, and indentation removed from
 * code written inside HTML.
 */
import { flattenTree, type DirectoryNode, type FileSystemTree } from '../engine/file-system-tree.js';
import { workspaceFilePath } from '../engine/paths.js';

/** Extensions whose `<template data-file>` keeps its markup (the rest use the text). */
export const MARKUP_FILE = /\.(html?|svg|xml|vue|svelte)$/i;

/** Puts `contents` at `path` (e.g. `src/index.js`) in `tree`, creating folders; throws `InvalidPathError` for a bad path. */
export function setFile(tree: FileSystemTree, path: string, contents: string | Uint8Array): void {
  setNode(tree, workspaceFilePath(path), { file: { contents } });
}

/** One tree from several, later trees winning file by file. Inputs are not changed. */
export function mergeTrees(...trees: Array<FileSystemTree | undefined>): FileSystemTree {
  const merged: FileSystemTree = {};
  for (const tree of trees) {
    if (!tree) continue;
    for (const entry of flattenTree(tree)) {
      if (entry.kind === 'file') setFile(merged, entry.path, entry.contents);
      else if (entry.kind === 'symlink') setNode(merged, entry.path, { file: { symlink: entry.target } });
      else if (!lookup(merged, entry.path)) setNode(merged, entry.path, { directory: {} });
    }
  }
  return merged;
}

/** Checks that `value` is a file tree (it came from JSON); throws a message saying what is wrong. */
export function assertFileTree(value: unknown, source: string): asserts value is FileSystemTree {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${source} is not a file tree: expected a JSON object such as {"index.js": {"file": {"contents": "..."}}}.`);
  }
  for (const entry of flattenTree(value as FileSystemTree)) {
    if (entry.kind === 'file' && typeof entry.contents !== 'string') {
      throw new TypeError(`${source}: "${entry.path}" has no string "contents".`);
    }
  }
}

/** Removes the first blank line and the indentation every line shares, so code can be indented inside HTML. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/^[ \t]*\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^[ \t]*/.exec(line)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(common)).join('\n');
}

/** The names at the top of a tree (what stack inference and install planning read). */
export function topLevelNames(tree: FileSystemTree): string[] {
  return Object.keys(tree);
}

/** A top-level text file's contents, or undefined. */
export function topLevelText(tree: FileSystemTree, name: string): string | undefined {
  const node = tree[name];
  return node && 'file' in node && 'contents' in node.file && typeof node.file.contents === 'string' ? node.file.contents : undefined;
}

function lookup(tree: FileSystemTree, path: string): unknown {
  let node: FileSystemTree[string] | undefined;
  let folder: FileSystemTree | undefined = tree;
  for (const part of path.split('/')) {
    node = folder?.[part];
    folder = node && 'directory' in node ? node.directory : undefined;
  }
  return node;
}

function setNode(tree: FileSystemTree, path: string, node: FileSystemTree[string]): void {
  const parts = path.split('/');
  const name = parts.pop()!;
  let folder = tree;
  for (const part of parts) {
    const existing = folder[part];
    if (!existing || !('directory' in existing)) folder[part] = { directory: {} };
    folder = (folder[part] as DirectoryNode).directory;
  }
  folder[name] = node;
}
