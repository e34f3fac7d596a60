/**
 * What a fenced code block's info string says about a runnable example:
 * ```` ```js sandbox file=index.js layout=preview ````. DOM-free and
 * dependency-free; shared by the remark and markdown-it plugins and the checker.
 * Words the plugins do not know (a highlighter's `{1,3}`, `title="..."`) are
 * left to the site's own code block.
 */
import { CONFIG_DEFAULTS, resolveConfig, type RawConfig } from '../example/sandbox-config.js';

/** Flags: `sandbox` makes a block runnable, `output` marks the expected output, `skip` keeps it out of `code-sandbox check`. */
export type FenceFlag = 'sandbox' | 'output' | 'skip';

/** A fence's info string, read. */
export interface FenceInfo {
  /** The language (the first word), lower case; '' when none. */
  lang: string;
  /** The flags present. */
  flags: ReadonlySet<FenceFlag>;
  /** `file=`: the file this block is. */
  file: string | undefined;
  /** `<code-sandbox>` attributes given as `name=value` (`layout`, `template`, `id`, ...). */
  attributes: Record<string, string>;
}

/** Attribute names an info string may carry besides the element's run settings. */
const EXTRA_ATTRIBUTES = new Set(['id', 'label']);
const FLAGS: ReadonlySet<string> = new Set<FenceFlag>(['sandbox', 'output', 'skip']);
/** `name=value`, `name="value with spaces"`, `name='value'`, or a bare word. */
const WORD = /([^\s=]+)(?:=(?:"([^"]*)"|'([^']*)'|(\S*)))?/g;

/** Reads an info string; never throws (see `infoProblems` for values that are wrong). */
export function parseInfo(info: string): FenceInfo {
  const flags = new Set<FenceFlag>();
  const attributes: Record<string, string> = {};
  let file: string | undefined;
  let lang = '';
  let first = true;
  for (const match of info.trim().matchAll(WORD)) {
    const [whole, name, ...values] = match;
    const value = values.find((v) => v !== undefined);
    if (first && value === undefined && !FLAGS.has(name!)) lang = name!.toLowerCase();
    first = false;
    if (value === undefined) {
      if (FLAGS.has(whole)) flags.add(whole as FenceFlag);
    } else if (name === 'file') file = value;
    else if (name! in CONFIG_DEFAULTS || EXTRA_ATTRIBUTES.has(name!)) attributes[name!] = value;
  }
  return { lang, flags, file, attributes };
}

/** One message per attribute value `<code-sandbox>` would reject (the element's own checks). */
export function infoProblems(attributes: Record<string, string>): string[] {
  return resolveConfig(attributes as RawConfig).problems;
}

/** The file name a block without `file=` gets, from its language; undefined when the language says nothing. */
export function defaultFileName(lang: string): string | undefined {
  return DEFAULT_FILES[lang];
}

const DEFAULT_FILES: Record<string, string> = {
  js: 'index.js', javascript: 'index.js', cjs: 'index.cjs', mjs: 'index.mjs',
  ts: 'index.ts', typescript: 'index.ts',
  py: 'main.py', python: 'main.py',
  sh: 'main.sh', bash: 'main.sh', shell: 'main.sh',
  go: 'main.go', rs: 'main.rs', rust: 'main.rs', rb: 'main.rb', ruby: 'main.rb', php: 'index.php',
};
