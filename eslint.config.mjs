// `npm run lint` (with tsc and lit-analyzer): TypeScript, Lit and web-component
// rules, and the layers of src/ (docs/engine-contract.md's picture):
//
//   element, selection ─► engines (remote, browser-engine; server) ─► protocol ─► engine core
//   tools (markdown, check) ─► engine core, protocol, remote and server engines; never element
//   element, selection and tools ─► example (an example's files, settings, command) ─► engine core
//
// Nothing imports a layer above its own or an engine beside it, and no code
// that runs in a browser imports the server. Enforced with ESLint's own
// no-restricted-imports (patterns on the import path), per folder.
//
// lit-analyzer runs strict on src/element, with one rule at warn:
// no-incompatible-type-binding types an iframe's `sandbox` as one token, and
// the preview's is a list of them ("allow-scripts allow-forms ...").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import litA11y from 'eslint-plugin-lit-a11y';
import globals from 'globals';

/** An import path that enters `folder` of src/ (relative imports name it). */
const into = (...folders) => `(^|/)(${folders.join('|')})/`;

/** What each folder of src/ must not import, and why (the message says what to do instead). */
const LAYERS = [
  { files: ['src/engine/**'], forbidden: ['example', 'protocol', 'remote', 'browser-engine', 'server', 'element', 'selection', 'markdown', 'check'], why: 'the engine core is the bottom layer; it imports nothing of code-sandbox above it' },
  { files: ['src/protocol/**'], forbidden: ['remote', 'browser-engine', 'server', 'element', 'selection', 'markdown', 'check'], why: 'the protocol sits on the engine core only' },
  { files: ['src/remote/**'], forbidden: ['browser-engine', 'server', 'element', 'selection', 'markdown', 'check'], why: 'an engine uses the protocol and the engine core, never another engine, the element or the server' },
  { files: ['src/browser-engine/**'], forbidden: ['remote', 'server', 'protocol', 'element', 'selection', 'markdown', 'check'], why: 'an engine uses the engine core, never another engine, the element or the server' },
  { files: ['src/server/**'], forbidden: ['remote', 'browser-engine', 'element', 'selection', 'markdown', 'check'], why: 'the server hosts engines on the engine core and the protocol; it never imports browser code' },
  { files: ['src/example/**'], forbidden: ['protocol', 'remote', 'browser-engine', 'server', 'element', 'selection', 'markdown', 'check'], why: 'an example (its files, settings and command) is DOM-free and shared by the element and the tools; it sits on the engine core only' },
  { files: ['src/element/**', 'src/selection/**', 'src/index.ts', 'src/define.ts'], forbidden: ['server', 'markdown', 'check'], why: 'code that runs in a browser never imports the server or the tools' },
  { files: ['src/markdown/**', 'src/check/**'], forbidden: ['element'], why: 'tools may use the engines, the protocol and the engine core, never the element' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'custom-elements.json', 'demo/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // Unused arguments named with a leading underscore are deliberate (interfaces, callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // A function a reader can hold in mind: past 80 lines, split it into named steps.
    files: ['src/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      // A shadowed name once hid a session id from its quota (a merge kept both declarations).
      '@typescript-eslint/no-shadow': 'error',
    },
  },
  { files: ['src/element/**'], ...lit.configs['flat/recommended'] },
  { files: ['src/element/**'], ...wc.configs['flat/recommended'] },
  { files: ['src/element/**'], ...litA11y.configs.recommended },
  ...LAYERS.map(({ files, forbidden, why }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: into(...forbidden), message: `Layers: ${why} (see eslint.config.mjs).` }] }] },
  })),
  {
    // Tests, benchmarks and scripts: chai's expressions, `any` where a test pokes at internals, ANSI and NUL in patterns.
    files: ['test/**', 'bench/**', 'scripts/**', '*.mjs'],
    languageOptions: { globals: globals.mocha },
    rules: { '@typescript-eslint/no-unused-expressions': 'off', '@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
