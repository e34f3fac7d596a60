/**
 * The `<code-sandbox>` markup an example becomes, shared by the plugins: the
 * element's attributes, and, for each file, a hidden `<pre data-file>` holding
 * the plain code (the visible code stays the site's own highlighted block,
 * whose markup differs per highlighter), then `<pre data-output>` with the
 * expected output.
 */
import type { Example, Fence } from './examples.js';

/** The attribute that keeps an example out of `code-sandbox check` (`data-*`, so the element accepts it). */
export const SKIP_ATTRIBUTE = 'data-check';

/** The element's attributes for an example, in a stable order. */
export function sandboxAttributes(example: Example<Fence>): Array<[name: string, value: string]> {
  const attributes = Object.entries(example.attributes).sort(([a], [b]) => (a === 'id' ? -1 : b === 'id' ? 1 : a.localeCompare(b)));
  if (example.skip) attributes.push([SKIP_ATTRIBUTE, 'skip']);
  return attributes;
}

/** The code of a block as the element reads it: the fence's text without its final newline. */
export function blockText(fence: Fence): string {
  return fence.code.replace(/\n$/, '');
}

/**
 * Escapes text for HTML, braces included: Vue (VitePress) would read `{{ }}`
 * in a page's HTML as an interpolation; an entity is the same text everywhere.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"{}]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `<code-sandbox a="b">` as HTML. */
export function openTag(example: Example<Fence>): string {
  const attributes = sandboxAttributes(example).map(([name, value]) => ` ${name}="${escapeHtml(value)}"`).join('');
  return `<code-sandbox${attributes}>\n`;
}

/** The hidden file blocks, the expected output and `</code-sandbox>` as HTML. */
export function closeTags(example: Example<Fence>): string {
  const files = example.files.map(({ path, fence }) => `<pre hidden data-file="${escapeHtml(path)}">${escapeHtml(blockText(fence))}</pre>\n`);
  const output = example.output ? `<pre data-output>${escapeHtml(blockText(example.output))}</pre>\n` : '';
  return `${files.join('')}${output}</code-sandbox>\n`;
}
