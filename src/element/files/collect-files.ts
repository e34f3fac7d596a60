/**
 * Where a sandbox's files come from: `data-file` children, a JSON tree at a URL
 * (`src`), and the `files` property, merged in that order of precedence
 * (src < children < property).
 */
import type { FileSystemTree } from '../../engine/file-system-tree.js';
import { assertFileTree, dedent, MARKUP_FILE, setFile } from './tree-builder.js';

/**
 * Files from the host's direct children that carry `data-file="path"`:
 * `<script type="text/plain">` and `<pre>` by their text, `<template>` by its
 * markup for HTML-like files and its text otherwise. Indentation is removed.
 */
export function filesFromChildren(host: Element): { tree: FileSystemTree; problems: string[] } {
  const tree: FileSystemTree = {};
  const problems: string[] = [];
  for (const child of host.querySelectorAll(':scope > [data-file]')) {
    const path = child.getAttribute('data-file') ?? '';
    const text =
      child instanceof HTMLTemplateElement
        ? MARKUP_FILE.test(path) ? child.innerHTML : child.content.textContent ?? ''
        : child.textContent ?? '';
    try {
      setFile(tree, path, dedent(text));
    } catch (error) {
      problems.push(`<${child.localName} data-file="${path}"> was skipped: ${(error as Error).message}`);
    }
  }
  return { tree, problems };
}

/** Fetches a JSON file tree; rejects with a message that names the URL and the fix. */
export async function fetchTree(url: string, signal?: AbortSignal): Promise<FileSystemTree> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    throw new Error(`Could not load the files from src="${url}" (${(error as Error).message}). Check the URL and that the server allows this page to fetch it (CORS).`, { cause: error });
  }
  if (!response.ok) throw new Error(`Could not load the files from src="${url}": HTTP ${response.status}. Check the URL.`);
  let tree: unknown;
  try {
    tree = await response.json();
  } catch (error) {
    throw new Error(`The files at src="${url}" are not valid JSON. Serve a file tree such as {"index.js": {"file": {"contents": "..."}}}.`, { cause: error });
  }
  assertFileTree(tree, `src="${url}"`);
  return tree;
}
