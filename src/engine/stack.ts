/**
 * Which stack an example is (Node.js, Python, ...), from its files, and how each
 * stack installs its dependencies. Shared by the engines and engine selection.
 */

/** The stacks code-sandbox knows by name. */
export type Stack = 'node' | 'python' | 'go' | 'rust' | 'ruby' | 'php' | 'shell';

/** Marker files, in order of precedence: the first one present decides. */
const MARKERS: ReadonlyArray<readonly [file: string, stack: Stack]> = [
  ['package.json', 'node'],
  ['requirements.txt', 'python'],
  ['pyproject.toml', 'python'],
  ['go.mod', 'go'],
  ['Cargo.toml', 'rust'],
  ['Gemfile', 'ruby'],
  ['composer.json', 'php'],
];

/** Infers the stack from the workspace's top-level file names; `undefined` when nothing says. */
export function inferStack(topLevelNames: Iterable<string>): Stack | undefined {
  const names = new Set(topLevelNames);
  for (const [file, stack] of MARKERS) if (names.has(file)) return stack;
  for (const name of names) {
    for (const [extension, stack] of ENTRY_EXTENSIONS) if (extension.test(name)) return stack;
  }
  return undefined;
}

/** Source files that say the stack when no marker file does (a lone main.rb, index.php...). */
const ENTRY_EXTENSIONS: ReadonlyArray<readonly [extension: RegExp, stack: Stack]> = [
  [/\.(m?js|cjs|ts)$/, 'node'],
  [/\.py$/, 'python'],
  [/\.go$/, 'go'],
  [/\.rs$/, 'rust'],
  [/\.rb$/, 'ruby'],
  [/\.php$/, 'php'],
];

/** A shell command line, run with `sh -c` in the workspace. */
export interface InstallPlan {
  stack: Stack;
  /** What runs, for the reader to see. */
  command: string;
}

/**
 * The install command for a workspace, from its top-level names: the lockfile's
 * package manager for Node.js, a virtualenv in `.venv` for Python. `undefined`
 * when there is nothing to install.
 */
export function planInstall(topLevelNames: Iterable<string>): InstallPlan | undefined {
  const names = new Set(topLevelNames);
  if (names.has('package.json')) {
    if (names.has('pnpm-lock.yaml')) return { stack: 'node', command: 'pnpm install --frozen-lockfile' };
    if (names.has('yarn.lock')) return { stack: 'node', command: 'yarn install --frozen-lockfile' };
    if (names.has('package-lock.json') || names.has('npm-shrinkwrap.json')) {
      return { stack: 'node', command: 'npm ci --no-audit --no-fund' };
    }
    return { stack: 'node', command: 'npm install --no-audit --no-fund' };
  }
  if (names.has('requirements.txt')) return { stack: 'python', command: pipInstall('-r requirements.txt', 'requirements.txt') };
  if (names.has('pyproject.toml')) return { stack: 'python', command: pipInstall('.', 'pyproject.toml') };
  if (names.has('go.mod')) return { stack: 'go', command: 'go mod download' };
  if (names.has('Cargo.toml')) return { stack: 'rust', command: 'cargo fetch' };
  if (names.has('Gemfile')) return { stack: 'ruby', command: 'bundle install' };
  if (names.has('composer.json')) return { stack: 'php', command: 'composer install' };
  return undefined;
}

/**
 * pip into a virtualenv in `.venv`. When pip fails because the package index cannot
 * be reached at all (no network, a firewall), it says so plainly and succeeds, so the
 * example still runs what it can without its packages; any other failure fails.
 */
function pipInstall(what: string, manifest: string): string {
  const probe = `python3 -c 'import os, urllib.request as u; u.urlopen(os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/"), timeout=10)' 2>/dev/null`;
  const unreachable = `echo 'The Python package index cannot be reached from this sandbox, so the packages in ${manifest} are not installed; running without them.' >&2`;
  return `python3 -m venv .venv && { .venv/bin/pip install --disable-pip-version-check --retries 1 ${what} || { ${probe} && exit 1; ${unreachable}; }; }`;
}

/**
 * The dev server command for a workspace: package.json's `dev` or `start` script,
 * else a conventional entry file (`go run .` for a Go module, `cargo run` for a
 * Cargo package). `undefined` when nothing says.
 */
export function planDevServer(topLevelNames: Iterable<string>, packageJson?: string): string | undefined {
  const names = new Set(topLevelNames);
  if (names.has('package.json') && packageJson !== undefined) {
    let scripts: Record<string, unknown> = {};
    try {
      scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts ?? {};
    } catch {
      // A broken package.json falls through to the entry files; npm will report it when it runs.
    }
    if (typeof scripts['dev'] === 'string') return 'npm run dev';
    if (typeof scripts['start'] === 'string') return 'npm start';
  }
  for (const entry of ['server.js', 'index.js', 'main.js', 'app.js']) if (names.has(entry)) return `node ${entry}`;
  for (const entry of ['app.py', 'main.py', 'server.py']) if (names.has(entry)) return `python3 ${entry}`;
  if (names.has('go.mod')) return 'go run .';
  if (names.has('Cargo.toml')) return 'cargo run';
  for (const entry of ['main.rb', 'app.rb', 'server.rb']) if (names.has(entry)) return `ruby ${entry}`;
  if (names.has('index.php')) return 'php index.php';
  if (names.has('index.html')) return 'python3 -m http.server "$PORT"';
  return undefined;
}
