/**
 * Installed dependencies (`node_modules`, a Python `.venv`) cached by the exact
 * manifests that produced them, so the second install of the same example is a
 * copy instead of a download. Tenants never write to the cache: on a miss, a
 * separate, fresh container that holds nothing but the manifests installs them
 * and the result is stored. What a session restores therefore depends only on
 * the manifests, which are part of the key; nothing another reader did in their
 * own sandbox can reach it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planInstall, type Stack } from '../../engine/stack.js';
import { LocalContainerEngine, type LocalContainerEngineOptions } from '../local-engine/local-container-engine.js';

/** The files that decide what an install produces, per stack, and the folder it produces. */
const MANIFESTS: Partial<Record<Stack, { files: string[]; output: string }>> = {
  node: { files: ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'], output: 'node_modules' },
  python: { files: ['requirements.txt', 'pyproject.toml'], output: '.venv' },
};

/** What a workspace's install would be, as far as the cache is concerned. */
export interface CacheablePlan {
  key: string;
  command: string;
  output: string;
  manifests: Record<string, string>;
}

export interface DependencyCacheOptions {
  /** Host folder for the archives. */
  dir: string;
  /** Largest total size kept, in bytes; the least recently used go first (default 2 GiB). */
  maxBytes?: number;
  /** How the filler containers are created (same image as the session). */
  engineOptions: (image: string) => LocalContainerEngineOptions;
  log: (line: string) => void;
}

export class DependencyCache {
  readonly #options: DependencyCacheOptions;
  readonly #filling = new Map<string, Promise<void>>();

  constructor(options: DependencyCacheOptions) {
    this.#options = options;
  }

  /** The cacheable plan for a session's workspace, or undefined (nothing to install, or a stack it does not cache). */
  async plan(engine: LocalContainerEngine, image: string): Promise<CacheablePlan | undefined> {
    const names = (await engine.readdir('')).map((entry) => entry.name);
    const install = planInstall(names);
    const kind = install && MANIFESTS[install.stack];
    if (!install || !kind) return undefined;
    const manifests: Record<string, string> = {};
    for (const file of kind.files) if (names.includes(file)) manifests[file] = await engine.readFile(file);
    const hash = createHash('sha256').update(JSON.stringify([image, install.command, Object.entries(manifests)]));
    return { key: hash.digest('hex'), command: install.command, output: kind.output, manifests };
  }

  /** The cached archive for `key`, if there is one (and marks it recently used). */
  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.#path(key);
    try {
      const archive = await readFile(path);
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return archive;
    } catch {
      return undefined;
    }
  }

  /** Installs `plan` in a fresh container holding only its manifests, and keeps the result (in the background; once per key). */
  fill(plan: CacheablePlan, image: string): Promise<void> {
    const running = this.#filling.get(plan.key);
    if (running) return running;
    const filling = this.#fill(plan, image).finally(() => this.#filling.delete(plan.key));
    this.#filling.set(plan.key, filling);
    return filling;
  }

  async #fill(plan: CacheablePlan, image: string): Promise<void> {
    const engine = new LocalContainerEngine(this.#options.engineOptions(image));
    try {
      await engine.boot();
      await engine.mount(Object.fromEntries(Object.entries(plan.manifests).map(([name, contents]) => [name, { file: { contents } }])));
      const code = await engine.installDependencies({ command: plan.command });
      if (code !== 0) {
        this.#options.log(`dependency cache: "${plan.command}" exited with ${code} in a clean container; not cached`);
        return;
      }
      const archive = await engine.exportArchive([plan.output]);
      await mkdir(this.#options.dir, { recursive: true });
      const path = this.#path(plan.key);
      await writeFile(`${path}.partial`, archive);
      await rename(`${path}.partial`, path);
      await this.#evict();
    } catch (error) {
      this.#options.log(`dependency cache: filling failed: ${(error as Error).message}`);
    } finally {
      await engine.teardown().catch(() => undefined);
    }
  }

  async #evict(): Promise<void> {
    const max = this.#options.maxBytes ?? 2 * 1024 ** 3;
    const names = (await readdir(this.#options.dir)).filter((name) => name.endsWith('.tar'));
    const files = await Promise.all(names.map(async (name) => ({ name, ...(await stat(join(this.#options.dir, name))) })));
    files.sort((a, b) => b.mtimeMs - a.mtimeMs);
    let total = 0;
    for (const file of files) {
      total += file.size;
      if (total > max) await rm(join(this.#options.dir, file.name), { force: true });
    }
  }

  #path(key: string): string {
    return join(this.#options.dir, `${key}.tar`);
  }
}
