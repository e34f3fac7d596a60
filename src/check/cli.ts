#!/usr/bin/env node
/**
 * code-sandbox: the docs author's command line. `code-sandbox check` runs every
 * example in a set of HTML and Markdown files on this machine's Docker engine
 * (or a code-sandbox server) and fails when one fails or its output drifted.
 */
import { parseArgs } from 'node:util';
import fastGlob from 'fast-glob';
import type { ContainerEngine } from '../engine/container-engine.js';
import type { Stack } from '../engine/stack.js';
import { RemoteContainerEngine } from '../remote/remote-container-engine.js';
import { LocalContainerEngine } from '../server/local-engine/local-container-engine.js';
import { DEFAULT_IMAGE, STACK_IMAGES } from '../server/stack-images.js';
import { checkExamples, type CheckOptions } from './check-examples.js';
import { formatReport, formatSummary } from './report-text.js';
import type { EngineFactory } from './run-example.js';

const HELP = `Usage: code-sandbox check [options] <file or glob>...

Runs every example in the files (HTML with <code-sandbox> elements; Markdown with
\`\`\`js sandbox blocks or <code-sandbox> HTML) and reports each one. Exits 1 when
an example fails or its output differs from the expected output, 2 on bad usage.

  --update                write the actual output over each drifted expected output
  --json                  print the report as JSON (progress still goes to stderr)
  --jobs <n>              examples running at once (default 2)
  --timeout <s>           seconds an example's command may run (default 60)
  --install-timeout <s>   seconds its dependency install may take (default 300)
  --mask <regex>          mask what matches on both sides before comparing (repeatable),
                          e.g. --mask 'v\\d+\\.\\d+\\.\\d+'; [..] in an expected output matches anything in a line
  --remote-url <url>      run on a code-sandbox server instead of the local Docker engine
  --api-key <key>         the server's API key (also CODE_SANDBOX_API_KEY)
  --image <name>          local sandbox image (default ${DEFAULT_IMAGE})
  --template-image <t=i>  local image for a stack, e.g. python=python:3.12-slim (repeatable;
                          by default the stacks' images of scripts/setup.sh images)
  -h, --help              show this help

An example marked skip (\`\`\`js sandbox skip, or data-check="skip") is listed, not run.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === undefined) {
    console.log(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'check') {
    console.error(`Unknown command "${command}". The command is: code-sandbox check <files>.\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      update: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      jobs: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '60' },
      'install-timeout': { type: 'string', default: '300' },
      mask: { type: 'string', multiple: true, default: [] },
      'remote-url': { type: 'string' },
      'api-key': { type: 'string' },
      image: { type: 'string', default: DEFAULT_IMAGE },
      'template-image': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const number = (name: 'jobs' | 'timeout' | 'install-timeout'): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number, not "${values[name]}".`);
    return value;
  };
  const masks = values.mask.map((source) => {
    try {
      return new RegExp(source, 'g');
    } catch (error) {
      throw new UsageError(`--mask "${source}" is not a regular expression: ${(error as Error).message}`);
    }
  });
  if (positionals.length === 0) throw new UsageError('Name the files to check, e.g. code-sandbox check "docs/**/*.md".');
  const files = (await fastGlob(positionals, { onlyFiles: true, unique: true, ignore: ['**/node_modules/**'] })).sort();
  if (files.length === 0) throw new UsageError(`No file matches ${positionals.map((p) => `"${p}"`).join(' ')}.`);

  const started = performance.now();
  const reports = await checkExamples(files, {
    createEngine: tornDownOnSignal(engineFactory(values)),
    concurrency: Math.floor(number('jobs')),
    timeouts: { run: number('timeout') * 1000, install: number('install-timeout') * 1000 },
    masks,
    update: values.update,
    onProgress: progress(values.json),
  });
  const elapsed = performance.now() - started;
  if (values.json) console.log(JSON.stringify({ files, milliseconds: Math.round(elapsed), examples: reports }, null, 2));
  else console.log(formatSummary(reports, elapsed));
  return reports.some((report) => report.status === 'failed' || (report.status === 'drifted' && !report.updated)) ? 1 : 0;
}

function engineFactory(values: { 'remote-url'?: string | undefined; 'api-key'?: string | undefined; image: string; 'template-image': string[] }): EngineFactory {
  const remoteUrl = values['remote-url'];
  if (remoteUrl) {
    const apiKey = values['api-key'] ?? process.env['CODE_SANDBOX_API_KEY'];
    return (stack) => new RemoteContainerEngine({ url: remoteUrl, ...(stack ? { template: stack } : {}), ...(apiKey ? { apiKey } : {}) });
  }
  const images = new Map<string, string>(Object.entries(STACK_IMAGES));
  for (const pair of values['template-image']) {
    const [stack, image] = pair.split('=');
    if (!stack || !image) throw new UsageError(`--template-image needs STACK=IMAGE, e.g. python=python:3.12-slim, not "${pair}".`);
    images.set(stack, image);
  }
  return (stack: Stack | undefined) => new LocalContainerEngine({ image: (stack && images.get(stack)) ?? values.image, owner: 'code-sandbox-check' });
}

/** Ctrl-C (or SIGTERM) tears down the sandboxes running now before exiting, and starts no new one, so no container is left behind. */
function tornDownOnSignal(create: EngineFactory): EngineFactory {
  const engines = new Set<ContainerEngine>();
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the running examples and removing their sandboxes...\n`);
    void Promise.allSettled([...engines].map((engine) => engine.teardown())).then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return (stack) => {
    if (stopping) throw new Error('Stopped before this example ran.');
    const engine = create(stack);
    engines.add(engine);
    return engine;
  };
}

/**
 * Progress: each finished example as it finishes (the text report on stdout;
 * with --json a short line on stderr) and, on a terminal, a status line of
 * the examples running now.
 */
function progress(json: boolean): NonNullable<CheckOptions['onProgress']> {
  const running = new Set<string>();
  const live = process.stderr.isTTY;
  const status = (): void => {
    if (live) process.stderr.write(`\r\u001b[K${running.size ? `running ${[...running].join(', ')}` : ''}`);
  };
  return ({ done, total, report, starting }) => {
    if (starting) {
      running.add(`${starting.file}:${starting.line}`);
      return status();
    }
    if (!report) return;
    running.delete(`${report.file}:${report.line}`);
    if (live) process.stderr.write('\r\u001b[K');
    if (json) process.stderr.write(`[${done}/${total}] ${report.status} ${report.file}:${report.line}\n`);
    else console.log(`[${done}/${total}] ${formatReport(report)}`);
    status();
  };
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? `${(error as Error).message}\n\nRun code-sandbox --help for the options.` : error);
    process.exit(2);
  },
);
