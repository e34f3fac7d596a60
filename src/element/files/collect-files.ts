/**
 * Where a sandbox's files come from: `data-file` children, a JSON tree at a URL
 * (`src`), and the `files` property, merged in that order of precedence
 * (src < children < property).
 */
import type { FileSystemTree } from '../../engine/file-system-tree.js';
import { assertFileTree, dedent, MARKUP_FILE, setFile } from '../../example/tree-builder.js';

/** A `data-file` child of the host: its element, path and text (indentation removed). */
export interface FileChild {
  element: Element;
  path: string;
  text: string;
  /** Shown as code (and editable): a `<pre>`, or any file child marked `data-visible`. */
  visible: boolean;
}

/**
 * The host's direct children that carry `data-file="path"`, in order:
 * `<script type="text/plain">` and `<pre>` by their text, `<template>` by its
 * markup for HTML-like files and its text otherwise. Indentation is removed.
 */
export function fileChildren(host: Element): FileChild[] {
  return [...host.querySelectorAll(':scope > [data-file]')].map((element) => {
    const path = element.getAttribute('data-file') ?? '';
    const text =
      element instanceof HTMLTemplateElement
        ? MARKUP_FILE.test(path) ? element.innerHTML : element.content.textContent ?? ''
        : element.textContent ?? '';
    const visible = element.localName === 'pre' || (element.hasAttribute('data-visible') && element.getAttribute('data-visible') !== 'false');
    return { element, path, text: dedent(text), visible };
  });
}

/** The files of the host's `data-file` children as a tree, and a problem per child that was skipped. */
export function filesFromChildren(host: Element): { tree: FileSystemTree; problems: string[] } {
  const tree: FileSystemTree = {};
  const problems: string[] = [];
  for (const { element, path, text } of fileChildren(host)) {
    try {
      setFile(tree, path, text);
    } catch (error) {
      problems.push(`<${element.localName} data-file="${path}"> was skipped: ${(error as Error).message}`);
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
