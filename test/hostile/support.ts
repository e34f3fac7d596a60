/** Shared by the hostile suites (test/hostile and test/node/hostile-*): sandboxes to attack, and what to look at. */
import { BehaviorSubject, first, firstValueFrom, scan, timeout } from 'rxjs';
import type { ContainerEngine, ExecOptions, ProcessHandle } from '../../src/index.js';
import { collectText } from '../../src/engine/observable.js';
import { LocalContainerEngine, type LocalContainerEngineOptions } from '../../src/server/index.js';
import { IMAGE, runtimeOption, testOwner } from '../node/support/orchestrator.js';

export { IMAGE, run } from '../node/support/orchestrator.js';

/** A local engine with an owner label of its own, so the test only ever removes its own containers. */
export function hostileEngine(name: string, options: Partial<LocalContainerEngineOptions> = {}): LocalContainerEngine {
  return new LocalContainerEngine({ image: IMAGE, owner: testOwner(`hostile-${name}`), ...runtimeOption, ...options });
}

/** Runs a shell script in the sandbox; resolves with its exit code and everything it printed. */
export async function sh(engine: ContainerEngine, script: string, options: ExecOptions = {}): Promise<{ code: number; text: string }> {
  const process = await engine.exec('sh', ['-c', script], options);
  const [text, code] = await Promise.all([collectText(process.stream), process.exit]);
  return { code, text };
}

/** Tries a TCP connection from the sandbox to each `host:port`; resolves with `OPEN`, an error code or `TIMEOUT` for each. */
export async function probe(engine: ContainerEngine, targets: string[], timeoutMs = 3000): Promise<Record<string, string>> {
  const program = `
    const net = require('net');
    Promise.all(${JSON.stringify(targets)}.map((t) => new Promise((done) => {
      const at = t.lastIndexOf(':');
      const s = net.connect(Number(t.slice(at + 1)), t.slice(0, at));
      const end = (r) => { s.destroy(); done([t, r]); };
      s.setTimeout(${timeoutMs}, () => end('TIMEOUT'));
      s.on('connect', () => end('OPEN'));
      s.on('error', (e) => end(e.code));
    }))).then((pairs) => console.log(JSON.stringify(Object.fromEntries(pairs))));`;
  const process = await engine.exec('node', ['-e', program]);
  return JSON.parse(await collectText(process.stream)) as Record<string, string>;
}

/** Records a process's output from now on; resolves once it printed `text`, with a reader of all it printed so far. */
export async function printedSoFar(process: ProcessHandle, text: string): Promise<() => string> {
  const seen = new BehaviorSubject('');
  process.stream.pipe(scan((all, chunk) => all + chunk, '')).subscribe((all) => seen.next(all));
  await firstValueFrom(
    seen.pipe(
      first((all) => all.includes(text)),
      timeout({ first: 30_000, with: () => Promise.reject(new Error(`The process never printed ${JSON.stringify(text)}; it printed ${JSON.stringify(seen.value)}`)) }),
    ),
  );
  return () => seen.value;
}

/** Resident memory of this process in MiB. */
export function rssMiB(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}
