/**
 * The editor's looks. Colours come from the element's private custom
 * properties (`--_*`, see ../code-sandbox.styles.ts), so the editor follows the
 * theme and an author's `--code-sandbox-*` values; token colours are GitHub's,
 * which keep a 4.5:1 contrast on both backgrounds.
 */
import { EditorView } from '@codemirror/view';

/** CSS for the file bar, the notices and the highlighted tokens (CodeMirror's `tok-*` classes). */
export const editorStyles = `
.editor { border-bottom: 1px solid var(--_border); }
.editor-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25em 0.75em; padding: 0 0.5em; border-bottom: 1px solid var(--_border); color: var(--_muted); }
.tabs { display: flex; flex-wrap: wrap; }
.tabs [role='tab'] { font: inherit; font-family: var(--_font-mono); padding: 0.375em 0.75em; border: 0; border-bottom: 2px solid transparent; border-radius: 0; background: transparent; color: var(--_muted); cursor: pointer; min-height: 2.25em; }
.tabs [role='tab'][aria-selected='true'] { color: var(--_foreground); border-bottom-color: var(--_accent); }
.tabs [role='tab']:focus-visible { outline: 2px solid var(--_accent); outline-offset: -2px; }
.file { font-family: var(--_font-mono); padding: 0.375em 0.25em; }
.badge { font-size: 0.8em; padding: 0 0.5em; border: 1px solid var(--_border); border-radius: 1em; }
.badge.edited { color: var(--_foreground); }
.stale { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5em; padding: 0.5em 0.75em; border-bottom: 1px solid var(--_border); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.light .editor { --_tok-keyword: #cf222e; --_tok-string: #0a3069; --_tok-comment: #6e7781; --_tok-number: #0550ae; --_tok-definition: #8250df; --_tok-type: #953800; }
.dark .editor { --_tok-keyword: #ff7b72; --_tok-string: #a5d6ff; --_tok-comment: #8b949e; --_tok-number: #79c0ff; --_tok-definition: #d2a8ff; --_tok-type: #ffa657; }
.tok-keyword, .tok-modifier, .tok-operatorKeyword, .tok-controlKeyword { color: var(--_tok-keyword); }
.tok-string, .tok-string2, .tok-regexp, .tok-url { color: var(--_tok-string); }
.tok-comment, .tok-meta { color: var(--_tok-comment); font-style: italic; }
.tok-number, .tok-bool, .tok-atom, .tok-literal, .tok-propertyName, .tok-attributeName { color: var(--_tok-number); }
.tok-definition, .tok-function, .tok-macroName { color: var(--_tok-definition); }
.tok-typeName, .tok-className, .tok-namespace, .tok-tagName { color: var(--_tok-type); }
.tok-invalid { color: var(--_error); }
`;

/** CodeMirror's own parts, sized and coloured like the code they replace. */
export const editorTheme = EditorView.theme({
  '&': { backgroundColor: 'transparent', color: 'inherit' },
  '.cm-scroller': { fontFamily: 'var(--_font-mono)', lineHeight: '1.5', maxHeight: '32rem' },
  '.cm-content': { padding: '0.75em 0', caretColor: 'var(--_foreground)' },
  '.cm-line': { padding: '0 1em' },
  '&.cm-focused': { outline: '2px solid var(--_accent)', outlineOffset: '-2px' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--_foreground)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground': { background: 'var(--_terminal-selection)' },
  '.cm-matchingBracket': { outline: '1px solid var(--_muted)', backgroundColor: 'transparent' },
});
