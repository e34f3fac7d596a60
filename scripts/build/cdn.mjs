// The CDN build: dist/cdn/code-sandbox.js registers <code-sandbox> from one
// <script type="module">, with its dependencies (lit...) bundled into that one
// file. The heavy parts (xterm, the engines, @webcontainer/api) sit behind the
// element's own import() boundaries, so they become chunks that load on Run.
// Rollup (not esbuild's splitting) keeps what the entry needs in the entry
// itself: the first load is one request, and lazy chunks import from it.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import esbuild from 'rollup-plugin-esbuild';

export const CDN_DIR = fileURLToPath(new URL('../../dist/cdn/', import.meta.url));
export const CDN_ENTRY = 'code-sandbox.js';

/**
 * Collapses the whitespace of Lit's css`` literals (esbuild leaves template
 * literals as written): the element's styles are part of every page's first load.
 * Only whitespace that cannot matter goes (runs of it, and around braces and
 * semicolons, and after colons and commas), so selectors such as `.code ::slotted(pre)` keep their meaning.
 */
export const minifyCssLiterals = {
  name: 'minify-css-literals',
  transform(code, id) {
    if (!/\.styles\.ts$/.test(id)) return null;
    const minified = code.replace(/\bcss`([^`$]*)`/g, (_, body) =>
      `css\`${body.replace(/\s+/g, ' ').replace(/\s*([{};])\s*/g, '$1').replace(/([:,]) /g, '$1').replace(/;}/g, '}').trim()}\``);
    return { code: minified, map: null };
  },
};

/**
 * Builds the CDN bundle; resolves with its JavaScript files: `{fileName,
 * imports (static), dynamicImports, modules: {id: renderedLength}}`.
 */
export async function buildCdn({ outdir = CDN_DIR } = {}) {
  // Chunk names carry a content hash: start empty so no stale chunk is served or published.
  rmSync(outdir, { recursive: true, force: true });
  const bundle = await rollup({
    input: { 'code-sandbox': fileURLToPath(new URL('../../src/define.ts', import.meta.url)) },
    // Lit's production build (no dev-mode warnings), as a CDN user gets.
    plugins: [nodeResolve({ browser: true, exportConditions: ['production'] }), minifyCssLiterals, esbuild({ target: 'es2022', minify: true, sourceMap: true })],
    // The entry may export more than define.ts does: lazy chunks import what they share with it from it.
    preserveEntrySignatures: 'allow-extension',
    onwarn(warning, warn) {
      if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
    },
  });
  try {
    const { output } = await bundle.write({ dir: outdir, format: 'esm', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' });
    return output
      .filter((file) => file.type === 'chunk')
      .map(({ fileName, imports, dynamicImports, modules }) => ({
        fileName,
        imports,
        dynamicImports,
        modules: Object.fromEntries(Object.entries(modules).map(([id, info]) => [id, info.renderedLength])),
      }));
  } finally {
    await bundle.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCdn();
  console.log(`built ${CDN_DIR}${CDN_ENTRY}`);
}
