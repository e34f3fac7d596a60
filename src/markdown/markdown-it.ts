/**
 * code-sandbox/markdown-it: turns fenced code blocks marked `sandbox` into
 * `<code-sandbox>` examples, for markdown-it based sites (VitePress,
 * markdown-it itself). The fences keep rendering through the site's own
 * highlighter; the plugin wraps them.
 *
 * ```js
 * import codeSandbox from 'code-sandbox/markdown-it';
 * md.use(codeSandbox);
 * ```
 */
import type MarkdownIt from 'markdown-it';
import type StateCore from 'markdown-it/lib/rules_core/state_core.mjs';
import type Token from 'markdown-it/lib/token.mjs';
import { findExamples, type Example, type Fence } from './examples.js';
import { closeTags, openTag } from './markup.js';

/** Options of the markdown-it plugin. */
export interface MarkdownItCodeSandboxOptions {
  /** Receives each problem with an example's info string (default: `console.warn`). The example is still rendered. */
  onProblem?: (message: string, where: { line: number; env: unknown }) => void;
}

/** A fence token and where it is in the token stream. */
export interface TokenFence extends Fence {
  token: Token;
  index: number;
}

/** The examples among a token stream's fences (the checker reads Markdown this way too). */
export function tokenExamples(tokens: readonly Token[]): Array<Example<TokenFence>> {
  const fences: TokenFence[] = [];
  tokens.forEach((token, index) => {
    if (token.type === 'fence') fences.push({ info: token.info, code: token.content, token, index });
  });
  return findExamples(fences, (a, b) => b.index === a.index + 1);
}

/** The markdown-it plugin: `md.use(codeSandbox, options?)`. */
export default function codeSandbox(md: MarkdownIt, options: MarkdownItCodeSandboxOptions = {}): void {
  const onProblem = options.onProblem ?? ((message, { line }) => console.warn(`code-sandbox: line ${line}: ${message}`));
  md.core.ruler.after('block', 'code_sandbox', (state) => wrapExamples(state, onProblem));
}

function wrapExamples(state: StateCore, onProblem: NonNullable<MarkdownItCodeSandboxOptions['onProblem']>): void {
  const examples = tokenExamples(state.tokens);
  for (const { start, problems } of examples) {
    for (const problem of problems) onProblem(problem, { line: (start.token.map?.[0] ?? 0) + 1, env: state.env });
  }
  // From the last example back, so the indexes of the earlier ones stay right.
  for (const example of examples.reverse()) {
    const first = example.files[0]?.fence;
    if (!first) continue;
    const last = example.output ?? example.files.at(-1)!.fence;
    const html = (content: string): Token => {
      const token = new state.Token('html_block', '', 0);
      token.content = content;
      token.block = true;
      token.level = first.token.level;
      return token;
    };
    // The output block becomes <pre data-output> (inside closeTags) instead of a code block.
    const removed = example.output ? 1 : 0;
    state.tokens.splice(last.index + 1 - removed, removed, html(closeTags(example)));
    state.tokens.splice(first.index, 0, html(openTag(example)));
  }
}
