// Builds dist/: one ESM file per package entry, dependencies left external for
// the consumer's bundler, plus one bundled .d.ts per entry. (dist/cdn, the
// bundled build for <script> tags, is scripts/build/cdn.mjs's.)
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import esbuild from 'rollup-plugin-esbuild';
import { dts } from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const dependencies = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
const external = (id) =>
  id.startsWith('node:') || builtinModules.includes(id) || dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));

const entries = {
  index: 'src/index.ts',
  define: 'src/define.ts',
  remote: 'src/remote/index.ts',
  server: 'src/server/index.ts',
  // The Markdown plugins: DOM-free, no Lit, no server code (see test/node/markdown-plugins.test.ts).
  remark: 'src/markdown/remark.ts',
  'markdown-it': 'src/markdown/markdown-it.ts',
};

// Chunk names carry a content hash: without this, every build would leave the
// previous build's chunks in dist/ and in the published package.
const cleanChunks = {
  name: 'clean-chunks',
  buildStart: () => rmSync(new URL('./dist/chunks/', import.meta.url), { recursive: true, force: true }),
};

export default [
  {
    input: { ...entries, cli: 'src/server/cli.ts', 'code-sandbox': 'src/check/cli.ts' },
    external,
    plugins: [cleanChunks, esbuild({ target: 'es2022', sourceMap: true })],
    output: { dir: 'dist', format: 'esm', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: { dir: 'dist', format: 'esm', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
  },
];
