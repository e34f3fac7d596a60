/**
 * Per stack, on the real Docker daemon: the image's size, and the first and second
 * run of the stack's hello world in one fresh session (the second run finds the
 * session's build caches: Go's build cache, cargo's target dir). Medians over
 * BENCH_RUNS sessions, next to a baseline measured in the same run: `true` in the
 * same session (what any command costs). Prints a table and writes
 * bench/results/stacks.json.
 *
 *   npm run bench     (BENCH_STACK_RUNS to override; needs `npm run setup -- images`)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { collectText, type FileSystemTree } from '../src/index.js';
import { defaultCommand } from '../src/example/run-command.js';
import { DEFAULT_IMAGE, LocalContainerEngine, STACK_IMAGES } from '../src/server/index.js';

const run = promisify(execFile);
const RUNS = Number(process.env['BENCH_STACK_RUNS'] ?? 3);
const OWNER = `bench-stacks-${process.pid}`;
const file = (contents: string) => ({ file: { contents } });

/** Each stack's hello world, as test/node/stacks.test.ts runs it. */
const EXAMPLES: Record<string, FileSystemTree> = {
  node: { 'index.js': file('console.log(`hello from Node.js ${process.version}`);\n') },
  python: { 'main.py': file('import sys\nprint("hello from Python", sys.version.split()[0])\n') },
  go: {
    'go.mod': file('module example.com/hello\n\ngo 1.24\n'),
    'main.go': file('package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello from Go")\n}\n'),
  },
  rust: {
    'Cargo.toml': file('[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n'),
    src: { directory: { 'main.rs': file('fn main() {\n    println!("hello from Rust");\n}\n') } },
  },
  ruby: { 'main.rb': file('puts "hello from Ruby #{RUBY_VERSION}"\n') },
  php: { 'index.php': file('<?php\necho "hello from PHP " . PHP_VERSION . "\\n";\n') },
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(engine: LocalContainerEngine, line: string): Promise<number> {
  const started = performance.now();
  const process = await engine.exec('sh', ['-c', line]);
  const [output, code] = await Promise.all([collectText(process.stream), process.exit]);
  if (code !== 0) throw new Error(`\`${line}\` exited with ${code}: ${output.slice(-500)}`);
  return performance.now() - started;
}

interface Row {
  stack: string;
  image: string;
  imageMB: number;
  command: string;
  runs: number;
  firstMs: number;
  secondMs: number;
  baselineMs: number;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [stack, files] of Object.entries(EXAMPLES)) {
    const image = STACK_IMAGES[stack as keyof typeof STACK_IMAGES] ?? DEFAULT_IMAGE;
    const size = Number((await run('docker', ['image', 'inspect', image, '--format', '{{.Size}}'])).stdout);
    const command = defaultCommand(files)!;
    const first: number[] = [];
    const second: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const engine = new LocalContainerEngine({ image, owner: OWNER });
      try {
        await engine.boot();
        await engine.mount(files);
        baseline.push(await timed(engine, 'true'));
        first.push(await timed(engine, command));
        second.push(await timed(engine, command));
      } finally {
        await engine.teardown();
      }
    }
    const row = { stack, image, imageMB: Math.round(size / 1e6), command, runs: RUNS, firstMs: median(first), secondMs: median(second), baselineMs: median(baseline) };
    rows.push(row);
    console.log(`${stack.padEnd(7)} ${image.padEnd(26)} ${String(row.imageMB).padStart(5)} MB  ${command.padEnd(16)} first ${(row.firstMs / 1000).toFixed(2)} s, second ${(row.secondMs / 1000).toFixed(2)} s (${(row.firstMs / row.secondMs).toFixed(1)}x), baseline \`true\` ${row.baselineMs.toFixed(0)} ms`);
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/stacks.json', `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
}

await main();
