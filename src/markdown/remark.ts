/**
 * code-sandbox/remark: turns fenced code blocks marked `sandbox` into
 * `<code-sandbox>` examples, for remark and MDX based sites (Astro and
 * Starlight, Docusaurus, Next.js MDX). The code blocks stay code nodes, so the
 * site's highlighter (Shiki, Expressive Code, Prism) still renders them; the
 * plugin wraps them in a node that remark-rehype turns into `<code-sandbox>`.
 *
 * ```js
 * import remarkCodeSandbox from 'code-sandbox/remark';
 * // astro.config.mjs: markdown: { remarkPlugins: [remarkCodeSandbox] }
 * ```
 */
import type { Code, Parent, Root, RootContent } from 'mdast';
import { findExamples, type Example, type Fence } from './examples.js';
import { blockText, sandboxAttributes } from './markup.js';

/** Options of the remark plugin. */
export interface RemarkCodeSandboxOptions {
  /** Receives each problem with an example's info string (default: a vfile warning, which the site's build prints). */
  onProblem?: (message: string, where: { line: number }) => void;
}

interface NodeFence extends Fence {
  node: Code;
  parent: Parent;
}

/** What a vfile offers for warnings (unified passes one to the transformer). */
interface Messages {
  message(reason: string, place?: unknown): unknown;
}

/** The remark plugin: `.use(remarkCodeSandbox, options?)`. */
export default function remarkCodeSandbox(this: unknown, options: RemarkCodeSandboxOptions = {}): (tree: Root, file?: Messages) => void {
  const pre = parsesMdx(this) ? jsxPre : htmlPre;
  return (tree, file) => {
    const fences: NodeFence[] = [];
    collectFences(tree, fences);
    const examples = findExamples(fences, (a, b) => a.parent === b.parent && a.parent.children.indexOf(b.node) === a.parent.children.indexOf(a.node) + 1);
    for (const example of examples) {
      for (const problem of example.problems) {
        const line = example.start.node.position?.start.line ?? 0;
        if (options.onProblem) options.onProblem(problem, { line });
        else if (file) file.message(`code-sandbox: ${problem}`, example.start.node);
        else console.warn(`code-sandbox: line ${line}: ${problem}`);
      }
      const first = example.files[0]?.fence;
      if (!first) continue;
      const blocks = [...example.files.map((f) => f.fence.node), ...(example.output ? [example.output.node] : [])];
      first.parent.children.splice(first.parent.children.indexOf(first.node), blocks.length, sandboxNode(example, blocks, pre));
    }
  };
}

function collectFences(parent: Parent, into: NodeFence[]): void {
  for (const node of parent.children) {
    if (node.type === 'code') into.push({ info: [node.lang, node.meta].filter(Boolean).join(' '), code: node.value, node, parent });
    else if ('children' in node) collectFences(node, into);
  }
}

/** Makes the node of a `<pre>` the plugin adds: its attributes and its text. */
type PreNode = (attributes: Record<string, string | true>, text: string) => unknown;

/** A `<pre>` as any mdast-to-hast step makes it (through `data.hName`). */
const htmlPre: PreNode = (attributes, text) => ({
  type: 'codeSandboxText',
  data: { hName: 'pre', hProperties: attributes, hChildren: [{ type: 'text', value: text }] },
});

/**
 * A `<pre>` as MDX JSX: MDX sends every `pre` that Markdown made through the
 * site's components (Docusaurus turns it into its CodeBlock, dropping
 * `data-file`), but renders JSX written in the page as it is, which it marks
 * with `_mdxExplicitJsx`.
 */
const jsxPre: PreNode = (attributes, text) => ({
  type: 'mdxJsxFlowElement',
  data: { _mdxExplicitJsx: true },
  name: 'pre',
  attributes: Object.entries(attributes).map(([name, value]) => ({ type: 'mdxJsxAttribute', name, value: value === true ? null : value })),
  children: [{ type: 'text', value: text }],
});

/** Whether the processor parses MDX (remark-mdx registered its JSX syntax), from its micromark extensions. */
function parsesMdx(processor: unknown): boolean {
  const data = (processor as { data?: (key: string) => unknown } | undefined)?.data;
  const extensions = typeof data === 'function' ? data.call(processor, 'micromarkExtensions') : undefined;
  if (!Array.isArray(extensions)) return false;
  return extensions.some((extension: { flow?: Record<number, unknown> }) =>
    [extension.flow?.[60]].flat().some((construct) => (construct as { name?: string } | undefined)?.name === 'mdxJsxFlowTag'),
  );
}

/**
 * A node remark-rehype turns into `<code-sandbox>` (through `data.hName`, which
 * every mdast-to-hast step honours) holding the visible code blocks, a hidden
 * `<pre data-file>` per file and the expected output as `<pre data-output>`.
 */
function sandboxNode(example: Example<NodeFence>, blocks: Code[], pre: PreNode): RootContent {
  const children = [
    ...example.files.map((f) => f.fence.node),
    ...example.files.map(({ path, fence }) => pre({ hidden: true, 'data-file': path }, blockText(fence))),
    ...(example.output ? [pre({ 'data-output': '' }, blockText(example.output))] : []),
  ];
  const node = {
    type: 'codeSandbox',
    data: { hName: 'code-sandbox', hProperties: Object.fromEntries(sandboxAttributes(example)) },
    children,
    position: blocks[0]!.position && blocks.at(-1)!.position ? { start: blocks[0]!.position.start, end: blocks.at(-1)!.position!.end } : undefined,
  };
  return node as unknown as RootContent;
}
