/** Wraps an engine's `writeFile` so the bench page learns when each write completes (`__bench.writes`, page clock). */
import type { ContainerEngine } from '../../src/engine/container-engine.js';

declare global {
  // The bench's page records (see edit-preview.bench.mjs).
  var __bench: { writes: Array<{ path: string; at: number }> };
}

export function recordWrites<T extends ContainerEngine>(engine: T): T {
  const write = engine.writeFile.bind(engine);
  engine.writeFile = async (path, content, options) => {
    await write(path, content, options);
    globalThis.__bench.writes.push({ path, at: performance.now() });
  };
  return engine;
}
