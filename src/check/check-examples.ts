/**
 * `code-sandbox check`'s work: find the examples in a set of files, run them a
 * few at a time, compare each output with the expected one, and (with
 * `update`) write the actual output back where it drifted.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { examplesIn, type SourceExample } from './example-source.js';
import { normalizeOutput, outputMatches } from './compare-output.js';
import { runExample, type EngineFactory, type RunOutcome, type RunTimeouts } from './run-example.js';

/** How an example came out: ran and matched (or had nothing to match), failed, ran with other output, or was skipped. */
export type CheckStatus = 'passed' | 'failed' | 'drifted' | 'skipped';

/** One example's line in the report. */
export interface ExampleReport {
  file: string;
  line: number;
  id: string | undefined;
  status: CheckStatus;
  stack: string | undefined;
  command: string | undefined;
  exitCode: number | undefined;
  milliseconds: number;
  /** `true`/`false` when the author gave an expected output, else `undefined`. */
  outputMatched: boolean | undefined;
  /** Why it failed, in words. */
  error: string | undefined;
  /** The command's output, normalized (what `--update` writes). */
  output: string;
  /** The expected output, when there is one. */
  expected: string | undefined;
  /** Whether `--update` rewrote the expected output. */
  updated: boolean;
}

/** Options of `checkExamples`. */
export interface CheckOptions {
  createEngine: EngineFactory;
  /** Examples running at once (default 2). */
  concurrency?: number;
  timeouts?: Partial<RunTimeouts>;
  /** Patterns masked on both sides before comparing (see `outputMatches`). */
  masks?: RegExp[];
  /** Write the actual output over a drifted expected output. */
  update?: boolean;
  /** Called when an example starts and when it is done (for a progress display). */
  onProgress?: (event: { done: number; total: number; report?: ExampleReport; starting?: SourceExample }) => void;
}

/** Reads `files`, runs every example in them and reports each, in file and line order. */
export async function checkExamples(files: readonly string[], options: CheckOptions): Promise<ExampleReport[]> {
  const examples: SourceExample[] = [];
  for (const file of files) examples.push(...examplesIn(file, await readFile(file, 'utf8')));
  const reports: ExampleReport[] = new Array(examples.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < examples.length) {
      const index = next++;
      const example = examples[index]!;
      options.onProgress?.({ done, total: examples.length, starting: example });
      reports[index] = example.skip ? skipped(example) : judge(example, await runExample(example, options.createEngine, options.timeouts), options.masks);
      options.onProgress?.({ done: ++done, total: examples.length, report: reports[index] });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  if (options.update) await updateOutputs(examples, reports);
  return reports;
}

function judge(example: SourceExample, outcome: RunOutcome, masks: RegExp[] = []): ExampleReport {
  const expected = example.expected?.text;
  const ran = outcome.error === undefined && outcome.exitCode === 0;
  const outputMatched = expected === undefined || !ran ? undefined : outputMatches(expected, outcome.commandOutput, masks);
  const error = outcome.error ?? (outcome.exitCode !== 0 ? `Exited with code ${outcome.exitCode}.` : undefined);
  return {
    ...where(example),
    status: !ran ? 'failed' : outputMatched === false ? 'drifted' : 'passed',
    stack: outcome.stack,
    command: outcome.command,
    exitCode: outcome.exitCode,
    milliseconds: Math.round(outcome.milliseconds),
    outputMatched,
    error,
    output: normalizeOutput(ran ? outcome.commandOutput : outcome.output),
    expected,
    updated: false,
  };
}

function skipped(example: SourceExample): ExampleReport {
  return { ...where(example), status: 'skipped', stack: undefined, command: undefined, exitCode: undefined, milliseconds: 0, outputMatched: undefined, error: undefined, output: '', expected: example.expected?.text, updated: false };
}

function where({ file, line, id }: SourceExample): Pick<ExampleReport, 'file' | 'line' | 'id'> {
  return { file, line, id };
}

/** Rewrites each drifted expected output in its file, from the end of the file back so offsets stay right. */
async function updateOutputs(examples: SourceExample[], reports: ExampleReport[]): Promise<void> {
  const byFile = new Map<string, number[]>();
  reports.forEach((report, index) => {
    if (report.status === 'drifted' && examples[index]!.expected) byFile.set(report.file, [...(byFile.get(report.file) ?? []), index]);
  });
  for (const [file, indexes] of byFile) {
    let source = await readFile(file, 'utf8');
    for (const index of indexes.sort((a, b) => examples[b]!.expected!.start - examples[a]!.expected!.start)) {
      const slot = examples[index]!.expected!;
      source = source.slice(0, slot.start) + slot.format(reports[index]!.output) + source.slice(slot.end);
      reports[index]!.updated = true;
    }
    await writeFile(file, source);
  }
}
