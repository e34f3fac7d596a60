/**
 * Syntax highlighting by file name. Each language's parser is its own chunk,
 * loaded with `import()` when a file of that language opens in the editor, so
 * a JavaScript example never downloads the Rust grammar.
 */
import type { Extension } from '@codemirror/state';

type LanguageLoader = () => Promise<Extension>;

const legacy = async (load: () => Promise<Parameters<typeof import('@codemirror/language').StreamLanguage.define>[0]>): Promise<Extension> => {
  const [{ StreamLanguage }, mode] = await Promise.all([import('@codemirror/language'), load()]);
  return StreamLanguage.define(mode);
};

const javascript = (options: { jsx?: boolean; typescript?: boolean }): LanguageLoader => async () =>
  (await import('@codemirror/lang-javascript')).javascript(options);

/** Loaders by file extension (lower case, without the dot), or by whole name for files without one. */
const LANGUAGES: Record<string, LanguageLoader> = {
  js: javascript({ jsx: true }),
  mjs: javascript({}),
  cjs: javascript({}),
  jsx: javascript({ jsx: true }),
  ts: javascript({ typescript: true }),
  mts: javascript({ typescript: true }),
  cts: javascript({ typescript: true }),
  tsx: javascript({ jsx: true, typescript: true }),
  json: async () => (await import('@codemirror/lang-json')).json(),
  html: async () => (await import('@codemirror/lang-html')).html(),
  htm: async () => (await import('@codemirror/lang-html')).html(),
  vue: async () => (await import('@codemirror/lang-html')).html(),
  svelte: async () => (await import('@codemirror/lang-html')).html(),
  css: async () => (await import('@codemirror/lang-css')).css(),
  py: async () => (await import('@codemirror/lang-python')).python(),
  go: async () => (await import('@codemirror/lang-go')).go(),
  rs: async () => (await import('@codemirror/lang-rust')).rust(),
  php: async () => (await import('@codemirror/lang-php')).php(),
  rb: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/ruby')).ruby),
  gemfile: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/ruby')).ruby),
  rakefile: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/ruby')).ruby),
  sh: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/shell')).shell),
  bash: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/shell')).shell),
  zsh: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/shell')).shell),
};

/** The key `LANGUAGES` knows a path by: its extension, or its whole name when it has none. */
export function languageKey(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : name;
}

/** The highlighting for a file (nothing for a language the editor does not know, or when its chunk cannot load). */
export async function languageFor(path: string): Promise<Extension> {
  const load = LANGUAGES[languageKey(path)];
  return load ? load().catch(() => []) : [];
}
