/**
 * The element's configuration: attribute values (or page-wide defaults) parsed
 * and checked. Pure and DOM-free: every bad value becomes a problem message and a
 * default, never an exception.
 */
import type { Stack } from '../engine/stack.js';

/** The engine an author asks for: `auto` lets code-sandbox choose. */
export type RequestedEngine = 'auto' | 'browser' | 'remote';

/** When a sandbox runs by itself: on the Run button, when scrolled into view, or on page load. */
export type RunOn = 'click' | 'visible' | 'load';
/** What the element shows: the terminal, the dev server's preview, or both. */
export type Layout = 'terminal' | 'preview' | 'split';
/** The colour scheme; `auto` follows the reader's `prefers-color-scheme`. */
export type Theme = 'light' | 'dark' | 'auto';
/** Where a reader's edits are kept: `local` (this browser's localStorage, per page and example) or `none`. */
export type Persist = 'local' | 'none';

/** The configuration a run uses. */
export interface SandboxConfig {
  engine: RequestedEngine;
  /** The stack named by the author; undefined means "infer it from the files". */
  template: Stack | undefined;
  remoteUrl: string | undefined;
  /** What Run runs; undefined means "the stack's default for these files". */
  command: string | undefined;
  /** `auto` installs when the files have a manifest, `none` never; anything else is the install command line. */
  install: string;
  runOn: RunOn;
  layout: Layout;
  /** CSS height of the terminal/preview area. */
  height: string;
  theme: Theme;
  /** The dev server's port inside the sandbox (preview layouts); undefined means the engine's default. */
  port: number | undefined;
  /** Milliseconds the in-browser engine gets to boot before falling back to the remote one. */
  bootTimeout: number;
  /** The accessible name of the sandbox. */
  label: string;
  /** Whether the reader may not edit the files. */
  readonly: boolean;
  /** Where the reader's edits are kept across page loads. */
  persist: Persist;
}

/** The attributes that configure a run, and their defaults (`undefined`: none). */
export const CONFIG_DEFAULTS = {
  engine: 'auto',
  template: undefined,
  'remote-url': undefined,
  command: undefined,
  install: 'auto',
  'run-on': 'click',
  layout: 'terminal',
  height: '20rem',
  theme: 'auto',
  port: undefined,
  'boot-timeout': '20000',
  label: 'Runnable example',
  readonly: undefined,
  persist: 'local',
} as const satisfies Record<string, string | undefined>;

/** Names of the attributes that configure a run (and can have page-wide defaults). */
export type ConfigAttribute = keyof typeof CONFIG_DEFAULTS;

/** Every attribute `<code-sandbox>` reads, including `src`, which is not a run setting. */
export const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set([...Object.keys(CONFIG_DEFAULTS), 'src']);

/** Attribute values as strings; null or undefined means "not set". */
export type RawConfig = Partial<Record<ConfigAttribute, string | null | undefined>>;

const CHOICES = {
  engine: ['auto', 'browser', 'remote'],
  template: ['node', 'python', 'go', 'rust', 'ruby', 'php', 'shell'],
  'run-on': ['click', 'visible', 'load'],
  layout: ['terminal', 'preview', 'split'],
  theme: ['light', 'dark', 'auto'],
  persist: ['local', 'none'],
} as const satisfies Partial<Record<ConfigAttribute, readonly string[]>>;

/**
 * Parses attribute values, falling back to `pageDefaults`, then to the built-in
 * defaults. Returns the configuration and one readable message per bad value.
 */
export function resolveConfig(attributes: RawConfig, pageDefaults: RawConfig = {}): { config: SandboxConfig; problems: string[] } {
  const problems: string[] = [];
  const raw = (name: ConfigAttribute): string | undefined => {
    const value = attributes[name] ?? pageDefaults[name] ?? undefined;
    return value === undefined ? undefined : value.trim();
  };
  const fallback = (name: ConfigAttribute, message: string): string | undefined => {
    problems.push(`${message} Using ${CONFIG_DEFAULTS[name] === undefined ? 'no value' : `"${CONFIG_DEFAULTS[name]}"`}.`);
    return CONFIG_DEFAULTS[name];
  };
  const choice = <K extends keyof typeof CHOICES>(name: K): (typeof CHOICES)[K][number] | undefined => {
    const value = raw(name);
    if (value === undefined || value === '') return CONFIG_DEFAULTS[name];
    const options: readonly string[] = CHOICES[name];
    if (options.includes(value.toLowerCase())) return value.toLowerCase() as (typeof CHOICES)[K][number];
    return fallback(name, `${name}="${value}" is not one of ${options.map((o) => `"${o}"`).join(', ')}.`) as (typeof CHOICES)[K][number] | undefined;
  };
  const text = (name: ConfigAttribute): string | undefined => {
    const value = raw(name);
    return value === undefined || value === '' ? CONFIG_DEFAULTS[name] : value;
  };
  const integer = (name: ConfigAttribute, min: number, max: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const number = Number(value);
    if (Number.isInteger(number) && number >= min && number <= max) return number;
    const used = fallback(name, `${name}="${value}" must be a whole number from ${min} to ${max}.`);
    return used === undefined ? undefined : Number(used);
  };

  let remoteUrl = text('remote-url');
  if (remoteUrl !== undefined && !/^https?:\/\/[^/\s]+/i.test(remoteUrl)) {
    remoteUrl = fallback('remote-url', `remote-url="${remoteUrl}" is not an http(s) URL such as "https://sandbox.example.com".`);
  }
  let height = text('height') ?? CONFIG_DEFAULTS.height;
  if (/^\d+(\.\d+)?$/.test(height)) height = `${height}px`;
  if (!/^\d+(\.\d+)?(px|rem|em|vh|svh|lvh|dvh|%|ch|lh)$/.test(height)) {
    height = fallback('height', `height="${height}" is not a CSS length such as "320px" or "20rem".`) ?? CONFIG_DEFAULTS.height;
  }

  const config: SandboxConfig = {
    engine: choice('engine') ?? CONFIG_DEFAULTS.engine,
    template: choice('template'),
    remoteUrl,
    command: text('command'),
    install: text('install') ?? CONFIG_DEFAULTS.install,
    runOn: choice('run-on') ?? CONFIG_DEFAULTS['run-on'],
    layout: choice('layout') ?? CONFIG_DEFAULTS.layout,
    height,
    theme: choice('theme') ?? CONFIG_DEFAULTS.theme,
    port: integer('port', 1, 65535),
    bootTimeout: integer('boot-timeout', 100, 600_000) ?? Number(CONFIG_DEFAULTS['boot-timeout']),
    label: text('label') ?? CONFIG_DEFAULTS.label,
    // A boolean attribute: present (any value but "false") means read-only.
    readonly: raw('readonly') !== undefined && raw('readonly') !== 'false',
    persist: choice('persist') ?? CONFIG_DEFAULTS.persist,
  };
  return { config, problems };
}

/** Global HTML attributes, which every element may carry. */
const GLOBAL_ATTRIBUTES = new Set([
  'id', 'class', 'style', 'slot', 'hidden', 'title', 'lang', 'dir', 'tabindex', 'role', 'part', 'exportparts', 'is',
  'inert', 'nonce', 'autofocus', 'draggable', 'translate', 'spellcheck', 'accesskey', 'contenteditable',
  'enterkeyhint', 'inputmode', 'popover', 'autocapitalize', 'itemscope', 'itemtype', 'itemprop', 'itemid', 'itemref',
]);

/** One message per attribute `<code-sandbox>` does not know, with the nearest known name when one is close. */
export function unknownAttributeProblems(names: Iterable<string>): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (KNOWN_ATTRIBUTES.has(lower) || GLOBAL_ATTRIBUTES.has(lower) || /^(aria-|data-|on)/.test(lower)) continue;
    const suggestion = [...KNOWN_ATTRIBUTES].find((known) => editDistance(known, lower) <= 2);
    problems.push(`Unknown attribute "${name}"${suggestion ? `: did you mean "${suggestion}"?` : '.'} It is ignored.`);
  }
  return problems;
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The prefix of page-wide defaults: `<meta name="code-sandbox:remote-url" content="...">`. */
export const PAGE_DEFAULT_PREFIX = 'code-sandbox:';

/** Reads page-wide defaults from `<meta name="code-sandbox:ATTRIBUTE" content="...">` tags in `root`. */
export function readPageDefaults(root: Pick<ParentNode, 'querySelectorAll'>): RawConfig {
  const defaults: RawConfig = {};
  for (const meta of root.querySelectorAll<HTMLMetaElement>(`meta[name^="${PAGE_DEFAULT_PREFIX}"]`)) {
    const name = meta.name.slice(PAGE_DEFAULT_PREFIX.length);
    if (name in CONFIG_DEFAULTS) defaults[name as ConfigAttribute] = meta.content;
    else console.warn(`<code-sandbox>: <meta name="${meta.name}"> names no setting; use one of ${Object.keys(CONFIG_DEFAULTS).join(', ')}.`);
  }
  return defaults;
}
