/**
 * What `npm pack` would publish: only what a user needs (no tests, no
 * TypeScript sources, no demo), and every entry point package.json names
 * (exports, bin, types, customElements, the CDN fields) is a file in the pack.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);

interface PackResult {
  files: Array<{ path: string }>;
}

interface PackageJson {
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  sideEffects: string[];
  customElements: string;
  unpkg: string;
  jsdelivr: string;
}

/** Every file path an exports map points at, whatever the conditions. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}

/** `./dist/x.js` → `dist/x.js`, as npm pack lists paths. */
const packPath = (path: string) => path.replace(/^\.\//, '');

/** A sideEffects glob (`*` within a name, `**` across folders) as a RegExp. */
function globToRegExp(glob: string): RegExp {
  const source = packPath(glob)
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\u0000/g, '.*');
  return new RegExp(`^${source}$`);
}

describe('the npm package contents', function () {
  this.timeout(180_000);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
  let files: string[];

  before(async () => {
    await run('npm', ['run', 'build', '--silent']);
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
    files = (JSON.parse(stdout) as PackResult[])[0]!.files.map((file) => file.path).sort();
  });

  it('ships no tests, TypeScript sources, demo or benchmarks', () => {
    const accidental = files.filter(
      (path) =>
        /^(src|test|demo|bench|docs|node_modules|test-results|coverage)\//.test(path) ||
        /\.(ts|tsx|mts|cts)$/.test(path.replace(/\.d\.ts$/, '')) ||
        /(^|\/)\.|\.test\.|\.spec\.|_test\.go$|\.tgz$|tsconfig|rollup\.config|web-test-runner/.test(path),
    );
    expect(accidental, 'files that should not be published').to.deep.equal([]);
  });

  it('ships only the build, the manifest, the setup scripts, the image recipes, the agent sources and the package files', () => {
    const unexpected = files.filter(
      (path) => !/^(dist\/|custom-elements\.json$|scripts\/(setup\.sh|seccomp-profile\.mjs|images\/\w+\.Dockerfile)$|agent\/([\w-]+\.go|go\.mod)$|package\.json$|README\.md$|LICENSE)/.test(path),
    );
    expect(unexpected).to.deep.equal([]);
  });

  it('ships the sandbox agent sources that setup builds', () => {
    const sources = readdirSync('agent').filter((name) => name === 'go.mod' || (name.endsWith('.go') && !name.endsWith('_test.go')));
    expect(sources).to.include('main.go');
    for (const name of sources) expect(files, 'built by scripts/setup.sh agent').to.include(`agent/${name}`);
  });

  it('ships every script the setup script runs', () => {
    const setup = readFileSync(new URL('../../scripts/setup.sh', import.meta.url), 'utf8');
    const helpers = [...setup.matchAll(/\$\(dirname "\$0"\)\/([\w.-]+)/g)].map((match) => `scripts/${match[1]}`);
    expect(helpers, 'helpers found in setup.sh').to.not.be.empty;
    for (const helper of helpers) expect(files, 'run by scripts/setup.sh').to.include(helper);
    for (const stack of setup.match(/^STACKS="([\w ]+)"/m)![1]!.split(' ')) {
      expect(files, 'built by scripts/setup.sh images').to.include(`scripts/images/${stack}.Dockerfile`);
    }
  });

  it('resolves every export, with types for each JavaScript entry', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      for (const path of exportTargets(target)) expect(files, `exports["${entry}"] → ${path}`).to.include(packPath(path));
      if (entry !== './package.json') expect(target, `exports["${entry}"] has types`).to.have.property('types');
    }
  });

  it('resolves the bin, customElements and CDN fields', () => {
    for (const [name, path] of Object.entries(pkg.bin)) expect(files, `bin ${name}`).to.include(packPath(path));
    expect(readFileSync(packPath(Object.values(pkg.bin)[0]!), 'utf8')).to.match(/^#!\/usr\/bin\/env node/);
    expect(files, 'customElements').to.include(packPath(pkg.customElements));
    expect(files, 'unpkg').to.include(packPath(pkg.unpkg));
    expect(files, 'jsdelivr').to.include(packPath(pkg.jsdelivr));
  });

  it('ships every chunk the CDN entry imports, statically or lazily', () => {
    const entry = packPath(pkg.unpkg);
    const folder = entry.slice(0, entry.lastIndexOf('/') + 1);
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      expect(files, `imported by the CDN build`).to.include(path);
      const code = readFileSync(path, 'utf8');
      const base = path.slice(0, path.lastIndexOf('/') + 1);
      for (const [, specifier] of code.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) visit(new URL(specifier!, `file:///${base}`).pathname.slice(1));
    };
    visit(entry);
    expect([...seen].some((path) => path.startsWith(`${folder}chunks/`)), 'the CDN build has lazy chunks').to.equal(true);
  });

  it('marks only the registering entries as having side effects, and each matches a file', () => {
    for (const glob of pkg.sideEffects) {
      expect(files.some((path) => globToRegExp(glob).test(path)), `sideEffects "${glob}" matches a file`).to.equal(true);
    }
    expect(files.filter((path) => pkg.sideEffects.some((glob) => globToRegExp(glob).test(path)) && /^dist\/[^/]+\.js$/.test(path))).to.deep.equal(['dist/define.js']);
  });
});
