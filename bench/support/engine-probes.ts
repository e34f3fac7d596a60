/** What the engine benches measure with: percentiles, repeated samples, output arriving, output throughput. */
import type { ContainerEngine, ProcessHandle } from '../../src/index.js';

/** Resolves with the ms from `started` until `text` shows up in the process's output. */
export function untilOutput(process: ProcessHandle, text: string, started: number): Promise<number> {
  return new Promise((resolve) => {
    let seen = '';
    const subscription = process.stream.subscribe((chunk) => {
      seen += chunk;
      if (!seen.includes(text)) return;
      resolve(performance.now() - started);
      queueMicrotask(() => subscription.unsubscribe());
    });
  });
}

/** A Node program that prints `bytes` of 1 KiB lines as fast as its stdout takes them. */
export const FLOOD = (bytes: number) => `
  const line = 'x'.repeat(1023) + '\\n'; let left = ${bytes / 1024};
  (function pump() { while (left > 0) { left--; if (!process.stdout.write(line)) return process.stdout.once('drain', pump); } })();`;

/** MB/s of output an engine relays from a flood of `bytes`. */
export async function throughput(engine: ContainerEngine, bytes: number): Promise<number> {
  const started = performance.now();
  const flood = await engine.exec('node', ['-e', FLOOD(bytes)]);
  let received = 0;
  flood.stdout.subscribe((chunk) => (received += chunk.length));
  await flood.exit;
  if (received !== bytes) throw new Error(`received ${received} of ${bytes} bytes`);
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `fn` `runs` times; each sample is what it resolves with, or else its duration in ms. */
export async function sample(runs: number, fn: () => Promise<number | void>): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const value = await fn();
    values.push(typeof value === 'number' ? value : performance.now() - started);
  }
  return values;
}
