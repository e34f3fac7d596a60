/**
 * Every stack's hello world through RemoteContainerEngine on a real orchestrator,
 * as the element runs it: the stack inferred from the files (the `template` the
 * server picks the image by), the stack's default command. Needs every image
 * (`npm run setup -- images`).
 */
import './support/localhost-resolver.js';
import { expect } from 'chai';
import { collectText, type FileSystemTree, type RemoteContainerEngine } from '../../src/index.js';
import { commandArgs, defaultCommand } from '../../src/example/run-command.js';
import { topLevelNames } from '../../src/example/tree-builder.js';
import { inferStack } from '../../src/engine/stack.js';
import { createOrchestrator, DEFAULT_IMAGE, STACK_IMAGES, type Orchestrator } from '../../src/server/index.js';
import { imageFixCommand } from '../../src/server/stack-images.js';
import { containers, remoteEngine, startOrchestrator } from './support/orchestrator.js';

const file = (contents: string) => ({ file: { contents } });

const HELLO: Record<string, { files: FileSystemTree; prints: RegExp }> = {
  go: {
    files: {
      'go.mod': file('module example.com/hello\n\ngo 1.24\n'),
      'main.go': file('package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() {\n\tfmt.Println("hello from", runtime.Version())\n}\n'),
    },
    prints: /hello from go1\.\d+/,
  },
  rust: {
    files: {
      'Cargo.toml': file('[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n'),
      src: { directory: { 'main.rs': file('fn main() {\n    println!("hello from Rust, {} + {} = {}", 40, 2, 40 + 2);\n}\n') } },
    },
    prints: /hello from Rust, 40 \+ 2 = 42/,
  },
  ruby: {
    files: { 'main.rb': file('puts "hello from Ruby #{RUBY_VERSION}"\n') },
    prints: /hello from Ruby 3\.\d+/,
  },
  php: {
    files: { 'index.php': file('<?php\necho "hello from PHP " . PHP_VERSION . "\\n";\n') },
    prints: /hello from PHP 8\.\d+/,
  },
};

describe('every stack runs its hello world on its own image', function () {
  this.timeout(180_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;

  before(async () => {
    ({ orchestrator, url, owner } = await startOrchestrator());
  });
  after(async () => {
    await orchestrator?.close();
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`), 'containers left behind').to.deep.equal([]);
  });

  /** Boots a session for the files' stack and runs `line` (default: the stack's default command) in it. */
  async function run(engine: RemoteContainerEngine, line: string): Promise<{ code: number; output: string }> {
    const [cmd, args] = commandArgs(line);
    const process = await engine.exec(cmd, args);
    const [output, code] = await Promise.all([collectText(process.stream), process.exit]);
    return { code, output };
  }

  for (const [stack, example] of Object.entries(HELLO)) {
    it(`${stack}: the files say ${stack}, and its default command prints the greeting`, async () => {
      const template = inferStack(topLevelNames(example.files));
      expect(template).to.equal(stack);
      const engine = remoteEngine(url, { template: template! });
      try {
        await engine.boot();
        await engine.mount(example.files);
        const command = defaultCommand(example.files);
        expect(command, 'a default command').to.be.a('string');
        const first = await run(engine, command!);
        expect(first.output).to.match(example.prints);
        expect(first.code, first.output).to.equal(0);
        if (stack === 'rust') {
          // Cargo's target dir stays in the session: an unchanged project is not compiled again.
          const second = await run(engine, command!);
          expect(second.output).to.match(example.prints);
          expect(second.output).not.to.match(/Compiling hello/);
        }
      } finally {
        await engine.teardown();
      }
    });
  }

  it('the default image has a supported Node.js LTS, a current npm that reaches the registry, Python 3.12+ with venv, git and a C compiler', async () => {
    const engine = remoteEngine(url, { template: 'node' });
    try {
      await engine.boot();
      const { code, output } = await run(engine, 'node --version && npm --version && python3 --version && python3 -m venv /tmp/venv && /tmp/venv/bin/pip --version && git --version && cc --version && npm view is-number version');
      expect(code, output).to.equal(0);
      const [node, npm, python] = output.split('\n');
      expect(Number(/^v(\d+)\./.exec(node!)?.[1]), node).to.be.at.least(22);
      expect(Number(/^(\d+)\./.exec(npm!)?.[1]), npm).to.be.at.least(10);
      const [, major, minor] = /^Python (\d+)\.(\d+)/.exec(python!) ?? [];
      expect(Number(major) * 100 + Number(minor), python).to.be.at.least(312);
    } finally {
      await engine.teardown();
    }
  });

  it('python: an install that cannot reach the package index says so, and the example runs without its packages', async () => {
    const engine = remoteEngine(url, { template: 'python' });
    try {
      await engine.boot();
      await engine.mount({
        'requirements.txt': file('requests\n'),
        'main.py': file('try:\n    import requests\n    print("requests", requests.__version__)\nexcept ImportError:\n    print("no requests; the standard library still works:", sum(range(10)))\n'),
      });
      let log = '';
      const installed = await engine.installDependencies({ onOutput: (chunk) => (log += chunk) });
      const reachable = (await run(engine, 'python3 -c \'import urllib.request as u; u.urlopen("https://pypi.org/simple/", timeout=10)\'')).code === 0;
      expect(installed, log).to.equal(0);
      const { code, output } = await run(engine, '.venv/bin/python main.py');
      expect(code, output).to.equal(0);
      if (reachable) {
        expect(output).to.match(/^requests \d/);
      } else {
        expect(log).to.contain('The Python package index cannot be reached from this sandbox, so the packages in requirements.txt are not installed');
        expect(output).to.contain('the standard library still works: 45');
      }
    } finally {
      await engine.teardown();
    }
  });

  it('a missing template image is named at start with its fix, and only that template\'s sessions fail', async () => {
    const lines: string[] = [];
    const missing = 'code-sandbox/not-built:nope';
    const other = await startOrchestrator({ images: { go: missing }, log: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).to.contain(`template go cannot run: The image "${missing}" is not on this Docker daemon. Get it with \`docker pull ${missing}\``);
      const go = remoteEngine(other.url, { template: 'go' });
      const error = await go.boot().then(() => undefined, (reason: Error) => reason);
      await go.teardown();
      expect(error?.message, 'the reader is told the server cannot start it').to.contain('cannot start a sandbox');
      expect(lines.at(-1), 'the log says why, with the fix').to.contain(`docker pull ${missing}`);
      const ruby = remoteEngine(other.url, { template: 'ruby' });
      await ruby.boot();
      await ruby.teardown();
    } finally {
      await other.orchestrator.close();
    }
    const noDefault = createOrchestrator({ image: missing, owner: owner + '-no-default', log: () => undefined });
    const refused = await noDefault.listen(0).then(() => undefined, (reason: Error) => reason);
    await noDefault.close();
    expect(refused?.message).to.contain(`The image "${missing}" is not on this Docker daemon`);
  });

  it('the images setup.sh builds are named in one place, and its fix command names the stack', () => {
    expect(imageFixCommand(STACK_IMAGES.go!)).to.match(/^npm run setup -- images go/);
    expect(imageFixCommand(DEFAULT_IMAGE)).to.match(/^npm run setup -- images node/);
    expect(imageFixCommand('golang:1.24')).to.equal('docker pull golang:1.24');
  });
});
