/**
 * `npx tsx bench/output.bench.ts`: how fast output moves through an
 * OutputSubject to a subscriber (the path every chunk of process output takes
 * on every engine), against a hand-written multicast (a set of callbacks, what
 * the engines used before RxJS) in the same run. Chunk sizes
 * as they arrive: 64 KiB from a flood, 1 KiB lines, 16-byte keystroke echoes.
 */
import { OutputSubject } from '../src/engine/observable.js';

const TOTAL = 200 * 1024 * 1024;
const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** MB/s of pushing TOTAL characters in `size`-character chunks through `push` to a counter. */
function rate(size: number, through: (sink: (chunk: string) => void) => (chunk: string) => void): number {
  const chunk = 'x'.repeat(size);
  let received = 0;
  const push = through((text) => (received += text.length));
  const started = performance.now();
  for (let sent = 0; sent < TOTAL; sent += size) push(chunk);
  const seconds = (performance.now() - started) / 1000;
  if (received < TOTAL) throw new Error(`received ${received} of ${TOTAL}`);
  return TOTAL / 1e6 / seconds;
}

const callbacks = (sink: (chunk: string) => void) => {
  const observers = new Set([sink]);
  return (chunk: string) => {
    for (const observer of observers) observer(chunk);
  };
};
const subject = (sink: (chunk: string) => void) => {
  const output = new OutputSubject<string>();
  output.subscribe(sink);
  return (chunk: string) => output.next(chunk);
};

for (const size of [64 * 1024, 1024, 16]) {
  const subjectRates: number[] = [];
  const baselineRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    subjectRates.push(rate(size, subject));
    baselineRates.push(rate(size, callbacks));
  }
  const [through, baseline] = [median(subjectRates), median(baselineRates)];
  const nsPerChunk = (mbPerSecond: number) => ((size / (mbPerSecond * 1e6)) * 1e9).toFixed(0);
  console.log(`${String(size).padStart(6)}-character chunks: OutputSubject ${nsPerChunk(through)} ns a chunk, callbacks ${nsPerChunk(baseline)} ns (${(baseline / through).toFixed(1)}x the time)`);
}
