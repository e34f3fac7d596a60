/**
 * The examples in a page's source, for `code-sandbox check`: `<code-sandbox>`
 * elements in HTML (and in Markdown's HTML blocks, as MkDocs pages write them),
 * and fenced blocks marked `sandbox` in Markdown (the plugins' syntax). Each
 * example knows its line, its files, its attributes and where its expected
 * output is written, so `--update` can rewrite just that.
 */
import MarkdownIt from 'markdown-it';
import { parseFragment, serialize, type DefaultTreeAdapterMap } from 'parse5';
import type { FileSystemTree } from '../engine/file-system-tree.js';
import { dedent, MARKUP_FILE, setFile } from '../example/tree-builder.js';
import { tokenExamples } from '../markdown/markdown-it.js';
import { blockText, SKIP_ATTRIBUTE } from '../markdown/markup.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

/** Where an example's expected output is written in its file, and how to write a new one there. */
export interface OutputSlot {
  /** The expected output as written. */
  text: string;
  /** The span of the source the output's text occupies (offsets), replaced by `--update`. */
  start: number;
  end: number;
  /** The output as source text at that place (escaped for HTML, indented for a fence in a list). */
  format(actual: string): string;
}

/** One example found in a file. */
export interface SourceExample {
  file: string;
  /** 1-based line where the example starts. */
  line: number;
  /** The element's `id`, when it has one. */
  id: string | undefined;
  /** `<code-sandbox>` attributes, as written. */
  attributes: Record<string, string>;
  files: FileSystemTree;
  expected: OutputSlot | undefined;
  skip: boolean;
  /** What is wrong with how the example is written (an example with problems fails the check). */
  problems: string[];
}

/** The examples in a file's text; `.md`/`.markdown`/`.mdx` files are read as Markdown, the rest as HTML. */
export function examplesIn(file: string, source: string): SourceExample[] {
  return /\.(md|markdown|mdx)$/i.test(file) ? markdownExamples(file, source) : htmlExamples(file, source, 0);
}

function markdownExamples(file: string, source: string): SourceExample[] {
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offsetOfLine = (line: number): number => lineStarts[Math.min(line, lineStarts.length - 1)] ?? source.length;
  const tokens = new MarkdownIt({ html: true }).parse(source, {});
  const found: SourceExample[] = [];
  for (const example of tokenExamples(tokens)) {
    const files: FileSystemTree = {};
    const problems = [...example.problems];
    for (const { path, fence } of example.files) addFile(files, path, blockText(fence), problems);
    const output = example.output;
    let expected: OutputSlot | undefined;
    if (output?.token.map) {
      const [first, last] = output.token.map;
      const indent = /^[ \t]*/.exec(source.slice(offsetOfLine(first), offsetOfLine(first + 1)))![0];
      const closed = last - first >= 2 && /^[ \t]*(`{3,}|~{3,})[ \t]*$/.test(source.slice(offsetOfLine(last - 1), offsetOfLine(last)).replace(/\r?\n$/, ''));
      expected = {
        text: blockText(output),
        start: offsetOfLine(first + 1),
        end: offsetOfLine(closed ? last - 1 : last),
        format: (actual) => `${actual.split('\n').map((line) => (line ? indent + line : line)).join('\n')}\n`,
      };
    }
    const line = (example.start.token.map?.[0] ?? 0) + 1;
    found.push({ file, line, id: example.attributes['id'], attributes: example.attributes, files, expected, skip: example.skip, problems });
  }
  for (const token of tokens) {
    if (token.type === 'html_block' && token.content.includes('<code-sandbox') && token.map) {
      const at = offsetOfLine(token.map[0]);
      found.push(...htmlExamples(file, source.slice(at, at + token.content.length), at, token.map[0]));
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Examples in HTML; `offset` and `lineOffset` place a fragment of a bigger file. */
function htmlExamples(file: string, html: string, offset: number, lineOffset = 0): SourceExample[] {
  const found: SourceExample[] = [];
  const visit = (node: Node): void => {
    if (!('childNodes' in node)) return;
    if (node.nodeName === 'code-sandbox') {
      found.push(htmlExample(file, node as Element, offset, lineOffset));
      return;
    }
    for (const child of node.childNodes) visit(child);
    if (node.nodeName === 'template') visit((node as DefaultTreeAdapterMap['template']).content);
  };
  visit(parseFragment(html, { sourceCodeLocationInfo: true }));
  return found;
}

function htmlExample(file: string, element: Element, offset: number, lineOffset: number): SourceExample {
  const attributes = Object.fromEntries(element.attrs.map((attr) => [attr.name, attr.value]));
  const files: FileSystemTree = {};
  const problems: string[] = [];
  let expected: OutputSlot | undefined;
  for (const child of element.childNodes) {
    if (!('attrs' in child)) continue;
    const attribute = (name: string): string | undefined => child.attrs.find((attr) => attr.name === name)?.value;
    const path = attribute('data-file');
    if (path !== undefined) {
      const text = child.nodeName === 'template'
        ? MARKUP_FILE.test(path) ? serialize((child as DefaultTreeAdapterMap['template']).content) : textOf((child as DefaultTreeAdapterMap['template']).content)
        : textOf(child);
      addFile(files, path, dedent(text), problems);
    } else if (attribute('data-output') !== undefined && child.sourceCodeLocation?.startTag && child.sourceCodeLocation.endTag) {
      const location = child.sourceCodeLocation;
      expected = { text: dedent(textOf(child)), start: offset + location.startTag!.endOffset, end: offset + location.endTag!.startOffset, format: escapeText };
    }
  }
  const line = lineOffset + (element.sourceCodeLocation?.startLine ?? 1);
  return { file, line, id: attributes['id'], attributes, files, expected, skip: attributes[SKIP_ATTRIBUTE] === 'skip', problems };
}

function addFile(files: FileSystemTree, path: string, text: string, problems: string[]): void {
  try {
    setFile(files, path, text);
  } catch (error) {
    problems.push(`The file "${path}" was left out: ${(error as Error).message}`);
  }
}

/** An element's text, as `textContent` gives it. */
function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

/** Text as HTML element content: only what HTML needs escaped, so a rewrite changes little. */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
