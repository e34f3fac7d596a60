// `npm run bench:size`: builds the CDN bundle and prints what a page loads
// before any sandbox runs (the entry and everything it imports statically) and
// each lazy chunk, raw and gzipped, and what the editor costs when a reader
// first focuses the code (its chunk and what it imports statically). Writes bench/results/size.json; exits
// non-zero when the first load is over budget.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { buildCdn, CDN_DIR, CDN_ENTRY } from '../scripts/build/cdn.mjs';

/** What a page may load before any sandbox runs, gzipped. */
export const BUDGET_BYTES = 15 * 1024;

/** Splits the build's files into the first load (the entry's static import closure) and lazy chunks. */
export function firstLoad(chunks, entry) {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const initial = new Set();
  const visit = (name) => {
    if (initial.has(name)) return;
    initial.add(name);
    for (const imported of byName.get(name)?.imports ?? []) visit(imported);
  };
  visit(entry);
  return { initial: [...initial], lazy: chunks.map((chunk) => chunk.fileName).filter((name) => !initial.has(name)) };
}

/** The editor's chunk and the chunks it imports statically (not the first load's): what opening the editor downloads. */
function editorLoad(chunks, initial) {
  const entry = chunks.find((chunk) => /(^|\/)editor-session-[\w-]+\.js$/.test(chunk.fileName));
  if (!entry) throw new Error('No editor-session chunk in the build: the editor must stay behind an import() (see src/element/code-sandbox.ts).');
  const files = firstLoad(chunks, entry.fileName).initial.filter((name) => !initial.includes(name));
  const rows = files.map((file) => measure(file)).sort((a, b) => b.gzip - a.gzip);
  return { rows, raw: rows.reduce((sum, row) => sum + row.raw, 0), gzip: rows.reduce((sum, row) => sum + row.gzip, 0) };
}

function measure(name) {
  const bytes = readFileSync(join(CDN_DIR, name));
  return { file: name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** The main modules in a chunk by their share of its (minified) bytes, to say what is in it. */
function contents(chunk, top = 12) {
  return Object.entries(chunk.modules)
    .sort(([, a], [, b]) => b - a)
    .slice(0, top)
    .map(([id, bytes]) => ({ module: relative(process.cwd(), id).replace(/^.*node_modules\//, ''), bytes }));
}

const kb = (bytes) => (bytes / 1024).toFixed(1).padStart(7);

async function main() {
  console.log('building dist/cdn...');
  const chunks = await buildCdn();
  const { initial, lazy } = firstLoad(chunks, CDN_ENTRY);
  const rows = (files) => files.map((file) => measure(file)).sort((a, b) => b.gzip - a.gzip);
  const initialRows = rows(initial);
  const lazyRows = rows(lazy);
  const total = (list, key) => list.reduce((sum, row) => sum + row[key], 0);
  const initialGzip = total(initialRows, 'gzip');

  console.log(`\n${'chunk'.padEnd(52)}${'raw KB'.padStart(8)}${'gzip KB'.padStart(9)}`);
  const print = (row) => console.log(`${row.file.padEnd(52)}${kb(row.raw)} ${kb(row.gzip)}`);
  console.log('first load (before any sandbox runs):');
  initialRows.forEach(print);
  console.log(`${'  total'.padEnd(52)}${kb(total(initialRows, 'raw'))} ${kb(initialGzip)}   budget ${kb(BUDGET_BYTES).trim()} KB`);
  console.log('lazy (on Run):');
  lazyRows.forEach(print);
  console.log(`${'  total'.padEnd(52)}${kb(total(lazyRows, 'raw'))} ${kb(total(lazyRows, 'gzip'))}`);
  const editor = editorLoad(chunks, initial);
  console.log('the editor (on the first focus or click on the code, or Run), without a language:');
  editor.rows.forEach(print);
  console.log(`${'  total'.padEnd(52)}${kb(editor.raw)} ${kb(editor.gzip)}`);

  const within = initialGzip <= BUDGET_BYTES;
  const results = {
    date: new Date().toISOString(),
    budget: { gzip: BUDGET_BYTES },
    initial: { raw: total(initialRows, 'raw'), gzip: initialGzip, chunks: initialRows },
    lazy: { raw: total(lazyRows, 'raw'), gzip: total(lazyRows, 'gzip'), chunks: lazyRows },
    editor,
    initialContents: Object.fromEntries(initial.map((name) => [name, contents(chunks.find((chunk) => chunk.fileName === name))])),
    withinBudget: within,
  };
  const out = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'size.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote bench/results/size.json`);
  if (!within) {
    console.error(`\n✗ first load is ${kb(initialGzip).trim()} KB gzipped, over the ${kb(BUDGET_BYTES).trim()} KB budget. Largest modules in it:`);
    for (const [file, modules] of Object.entries(results.initialContents)) {
      for (const { module, bytes } of modules) console.error(`  ${file}  ${module}  ${kb(bytes).trim()} KB before minification`);
    }
    console.error('Move what the page does not need before Run behind an import() (see src/element/engine-loader.ts).');
    process.exit(1);
  }
  console.log(`✓ first load ${kb(initialGzip).trim()} KB gzipped, within the ${kb(BUDGET_BYTES).trim()} KB budget`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
