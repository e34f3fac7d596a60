/** The Node suites' one home for Docker: the image, owner labels, real orchestrators, and what they leave. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { RemoteContainerEngine, type WebSocketConstructor } from '../../../src/index.js';
import { createOrchestrator, DEFAULT_IMAGE, type Orchestrator, type OrchestratorOptions } from '../../../src/server/index.js';

/** Runs a command (docker, node...) and resolves with its output. */
export const run = promisify(execFile);
/** The sandbox image the Node suites run (scripts/setup.sh builds it). */
export const IMAGE = process.env['CODE_SANDBOX_IMAGE'] ?? DEFAULT_IMAGE;
/**
 * The OCI runtime the suites' sandboxes run under: `CS_RUNTIME=runsc` runs them
 * on gVisor (scripts/test.mjs does, for the contract and hostile suites); unset,
 * the daemon's default (runc).
 */
export const RUNTIME = process.env['CS_RUNTIME'] || undefined;
/** `{ runtime }` when the suites run under a runtime of their own, to spread into engine and orchestrator options. */
export const runtimeOption: { runtime?: string } = RUNTIME ? { runtime: RUNTIME } : {};
let counter = 0;

/** A unique owner label per orchestrator, so parallel runs never reap each other's containers. */
export function testOwner(name: string): string {
  return `test-${name}-${process.pid}-${counter++}`;
}

export async function startOrchestrator(options: OrchestratorOptions = {}): Promise<{ orchestrator: Orchestrator; url: string; owner: string }> {
  const owner = options.owner ?? testOwner('orch');
  const orchestrator = createOrchestrator({ log: () => undefined, ...runtimeOption, ...options, owner });
  const url = await orchestrator.listen(0);
  return { orchestrator, url, owner };
}

/** A remote engine for Node, with `ws` as its WebSocket. */
export function remoteEngine(url: string, options: Partial<ConstructorParameters<typeof RemoteContainerEngine>[0]> = {}): RemoteContainerEngine {
  return new RemoteContainerEngine({ url, WebSocket: WebSocket as unknown as WebSocketConstructor, ...options });
}

/** Ids of containers matching a `docker ps` filter. */
export async function containers(filter: string): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', filter]);
  return stdout.split('\n').filter(Boolean);
}
