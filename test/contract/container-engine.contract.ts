/**
 * The shared contract every ContainerEngine passes: the same tests, with the
 * engine factory as the parameter. Runs under mocha in Node and in browsers.
 */
import { expect } from 'chai';
import type { ContainerEngine } from '../../src/engine/container-engine.js';
import { DevServerError, FileNotFoundError, InvalidPathError } from '../../src/engine/errors.js';
import { collectText } from '../../src/engine/observable.js';
import { checkNumberedLines, pseudoRandomBytes, rejectionOf, sameBytes, waitForText } from './helpers.js';

/** What a concrete engine's test file supplies. */
export interface ContractTarget {
  /** A new, not yet booted engine. */
  create(): ContainerEngine;
  /** Asserts that nothing of a torn-down engine is left (containers, sessions...). */
  assertGone(engine: ContainerEngine): Promise<void>;
  /** Whether the engine runs Python (the browser engine does not). */
  python: boolean;
  /** Whether dependency installs can reach a package registry here. */
  registry: boolean;
  /** Whether a process can signal itself and then exits with 128 + N (default true). */
  selfSignals?: boolean;
  /** Whether stdout and stderr arrive apart (default true; on a WebContainer terminal they merge). */
  separateStderr?: boolean;
  /** Whether processes see the workspace at /workspace (default true; a WebContainer's is under its workdir). */
  workspaceAtRoot?: boolean;
  /** Whether stdin is a pipe: no echo, and closeInput() ends it (default true; a WebContainer's is a terminal). */
  pipedStdin?: boolean;
  /** Whether the test can fetch the dev server's URL (default true; the in-page WebContainer stand-in serves no previews). */
  fetchableDevServer?: boolean;
}

/** `it`, or `it.skip` when the target lacks a capability (`false`; undefined means it has it). */
function itIf(capability: boolean | undefined): Mocha.TestFunction | Mocha.PendingTestFunction {
  return capability === false ? it.skip : it;
}

const SLOW = 180_000;

export function containerEngineContract(name: string, target: ContractTarget): void {
  describe(`ContainerEngine contract: ${name}`, function () {
    this.timeout(60_000);
    let engine: ContainerEngine;

    before(async () => {
      engine = target.create();
      await engine.boot();
    });
    after(async () => {
      await engine?.teardown();
    });

    describe('lifecycle', () => {
      it('refuses work before boot with a message that says to boot', async () => {
        const fresh = target.create();
        const error = await rejectionOf(() => fresh.readFile('a.txt'));
        expect(error).to.have.property('code', 'ENGINE_STATE');
        expect(error.message).to.match(/boot\(\)/);
        await fresh.teardown();
      });

      it('reports ready after boot', () => {
        expect(engine.status).to.equal('ready');
      });

      it('tears down twice without error and leaves nothing behind', async () => {
        const other = target.create();
        await other.boot();
        await other.mount({ 'x.txt': { file: { contents: 'x' } } });
        await other.teardown();
        await other.teardown();
        expect(other.status).to.equal('torn-down');
        await target.assertGone(other);
        const error = await rejectionOf(() => other.readFile('x.txt'));
        expect(error).to.have.property('code', 'ENGINE_STATE');
      });
    });

    describe('file system', () => {
      it('mounts a nested tree with text and binary files', async () => {
        const binary = new Uint8Array([0, 1, 2, 253, 254, 255]);
        await engine.mount({
          'README.md': { file: { contents: '# hello\n' } },
          src: {
            directory: {
              'index.js': { file: { contents: 'export default 1;\n' } },
              lib: { directory: { 'data.bin': { file: { contents: binary } } } },
            },
          },
        });
        expect(await engine.readFile('README.md')).to.equal('# hello\n');
        expect(await engine.readFile('src/index.js')).to.equal('export default 1;\n');
        expect(sameBytes(await engine.readFileBytes('src/lib/data.bin'), binary)).to.equal(true);
        const names = (await engine.readdir('src')).map((entry) => `${entry.kind}:${entry.name}`);
        expect(names).to.deep.equal(['file:index.js', 'directory:lib']);
      });

      it('round-trips unicode text, binary, empty and 10 MB files', async () => {
        const unicode = 'héllo wörld — 🌍 日本語 \u{1F600}\n';
        const allBytes = new Uint8Array(256).map((_, i) => i);
        const big = pseudoRandomBytes(10 * 1024 * 1024);
        await engine.writeFile('text/unicode.txt', unicode);
        await engine.writeFile('bytes.bin', allBytes);
        await engine.writeFile('empty.txt', '');
        await engine.writeFile('big.bin', big);
        expect(await engine.readFile('text/unicode.txt')).to.equal(unicode);
        expect(sameBytes(await engine.readFileBytes('bytes.bin'), allBytes)).to.equal(true);
        expect(await engine.readFile('empty.txt')).to.equal('');
        expect(sameBytes(await engine.readFileBytes('big.bin'), big)).to.equal(true);
      });

      it('overwrites, deletes files and folders, and reports missing files', async () => {
        await engine.writeFile('gone/a.txt', 'one');
        await engine.writeFile('gone/a.txt', 'two');
        expect(await engine.readFile('gone/a.txt')).to.equal('two');
        await engine.deleteFile('gone/a.txt');
        const missing = await rejectionOf(() => engine.readFile('gone/a.txt'));
        expect(missing).to.be.instanceOf(FileNotFoundError).and.to.have.property('code', 'FILE_NOT_FOUND');
        expect(missing).to.have.property('path', 'gone/a.txt');
        expect(missing.message).to.contain('gone/a.txt');
        await engine.deleteFile('gone');
        expect((await engine.readdir('')).map((entry) => entry.name)).not.to.include('gone');
        expect(await rejectionOf(() => engine.deleteFile('gone'))).to.have.property('code', 'FILE_NOT_FOUND');
      });

      it('refuses to read a folder as a file', async () => {
        await engine.writeFile('folder/inside.txt', 'x');
        const error = await rejectionOf(() => engine.readFile('folder'));
        expect(error).to.be.instanceOf(InvalidPathError).and.to.have.property('code', 'INVALID_PATH');
        expect(error).to.have.property('path', 'folder');
      });

      for (const path of ['../escape.txt', 'a/../../escape.txt', '/etc/escape.txt', '/workspace/../escape.txt', 'nul\0byte.txt']) {
        it(`rejects the path ${JSON.stringify(path)} and writes nothing`, async () => {
          const before = (await engine.readdir('')).map((entry) => entry.name).sort();
          const error = await rejectionOf(() => engine.writeFile(path, 'escaped'));
          expect(error).to.be.instanceOf(InvalidPathError).and.to.have.property('code', 'INVALID_PATH');
          expect(error).to.have.property('path', path);
          expect(error.message).to.match(/inside the workspace|one file or folder name/);
          expect(await rejectionOf(() => engine.readFile(path))).to.have.property('code', 'INVALID_PATH');
          const nested = await rejectionOf(() => engine.mount({ ok: { directory: { [path]: { file: { contents: 'x' } } } } }));
          expect(nested).to.have.property('code', 'INVALID_PATH');
          expect((await engine.readdir('')).map((entry) => entry.name).sort()).to.deep.equal(before);
        });
      }

      it('accepts absolute paths inside /workspace', async () => {
        await engine.writeFile('/workspace/abs/inside.txt', 'in');
        expect(await engine.readFile('abs/inside.txt')).to.equal('in');
      });
    });

    describe('processes', () => {
      it('runs a program and reports exit code 0', async () => {
        await engine.mount({ 'main.js': { file: { contents: 'console.log(6 * 7)' } } });
        const run = await engine.exec('node', ['main.js']);
        const output = collectText(run.stream);
        expect(await run.exit).to.equal(0);
        expect((await output).trim()).to.equal('42');
      });

      itIf(target.selfSignals)('reports non-zero exit codes and 128 + N after signal N', async () => {
        const failing = await engine.exec('node', ['-e', 'process.exit(3)']);
        expect(await failing.exit).to.equal(3);
        const killed = await engine.exec('node', ['-e', 'process.kill(process.pid, "SIGKILL")']);
        expect(await killed.exit).to.equal(137);
      });

      itIf(target.separateStderr)('streams stdout and stderr apart, and both through stream', async () => {
        const run = await engine.exec('node', ['-e', 'console.log("to-out"); console.error("to-err")']);
        const [out, err, both] = [collectText(run.stdout), collectText(run.stderr), collectText(run.stream)];
        expect(await run.exit).to.equal(0);
        expect(await out).to.equal('to-out\n');
        expect(await err).to.equal('to-err\n');
        expect(await both).to.contain('to-out\n').and.to.contain('to-err\n');
      });

      itIf(target.workspaceAtRoot)('passes cwd and env to the process', async () => {
        await engine.writeFile('sub/marker.txt', 'm');
        const run = await engine.exec('node', ['-e', 'console.log(process.cwd(), process.env.GREETING)'], {
          cwd: 'sub',
          env: { GREETING: 'hi there' },
        });
        expect((await collectText(run.stream)).trim()).to.equal('/workspace/sub hi there');
      });

      itIf(target.pipedStdin)('feeds stdin to a running process and closes it', async () => {
        const run = await engine.exec('node', ['-e', `
          let seen = '';
          process.stdin.on('data', (d) => { seen += d; process.stdout.write(String(d).toUpperCase()); });
          process.stdin.on('end', () => { console.log('|end:' + seen.length); });`]);
        const output = waitForText(run.stream, (text) => text.includes('|end:12'));
        await run.write('hello\n');
        await run.write(new TextEncoder().encode('again\n'));
        await run.closeInput();
        expect(await run.exit).to.equal(0);
        expect(await output).to.equal('HELLO\nAGAIN\n|end:12\n');
      });

      it('kills a running process, and kill after exit is harmless', async () => {
        const run = await engine.exec('node', ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
        await waitForText(run.stream, (text) => text.includes('up'));
        await run.kill();
        expect(await run.exit).to.equal(143);
        await run.kill();
        const hard = await engine.exec('node', ['-e', 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)']);
        await waitForText(hard.stream, (text) => text.includes('up'));
        await hard.kill('SIGKILL');
        expect(await hard.exit).to.equal(137);
      });

      it('wait() gives up at its timeout or signal, and the process keeps running', async () => {
        const run = await engine.exec('node', ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
        await waitForText(run.stream, (text) => text.includes('up'));
        // A wait that ignored its options would never settle: bound it, so the test fails instead of hanging.
        const stillWaiting = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve(`wait() had not settled after ${ms} ms`), ms));
        const timedOut = await Promise.race([run.wait({ timeout: 200 }).catch((error: Error) => error), stillWaiting(5000)]);
        expect(timedOut).to.have.property('code', 'TIMEOUT');
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        const aborted = await Promise.race([run.wait({ signal: controller.signal }).catch((error: Error) => error), stillWaiting(5000)]);
        expect(aborted).to.have.property('code', 'ABORTED');
        await run.kill('SIGKILL');
        expect(await run.wait({ timeout: 20_000 })).to.equal(137);
      });

      it('kills a process when its timeout passes', async () => {
        const run = await engine.exec('node', ['-e', 'setInterval(() => {}, 1000)'], { timeout: 500 });
        expect(await run.exit).to.equal(137);
      });

      it('delivers 10 MB of output with nothing lost or reordered', async () => {
        const lines = 1_000_000; // 10 bytes each
        const run = await engine.exec('node', ['-e', `
          const total = ${lines}; let i = 0;
          function pump() {
            let ok = true;
            while (i < total && ok) {
              let chunk = '';
              for (let n = 0; n < 1000 && i < total; n++, i++) chunk += String(i).padStart(9, '0') + '\\n';
              ok = process.stdout.write(chunk);
            }
            if (i < total) process.stdout.once('drain', pump);
          }
          pump();`]);
        const seen = checkNumberedLines(run.stdout);
        expect(await run.exit).to.equal(0);
        expect(seen.bad).to.equal(undefined);
        expect(seen.count).to.equal(lines);
        expect(seen.carry).to.equal('');
      });

      it('runs concurrent processes without mixing their output', async () => {
        const runs = await Promise.all(
          [1, 2, 3, 4, 5].map((n) => engine.exec('node', ['-e', `setTimeout(() => console.log("proc-${n}"), ${(5 - n) * 50})`])),
        );
        const outputs = await Promise.all(runs.map((run) => collectText(run.stream)));
        expect(outputs.map((text) => text.trim())).to.deep.equal(['proc-1', 'proc-2', 'proc-3', 'proc-4', 'proc-5']);
        expect(await Promise.all(runs.map((run) => run.exit))).to.deep.equal([0, 0, 0, 0, 0]);
      });

      it('runs a program on a terminal with its size', async () => {
        const run = await engine.exec('node', ['-e', 'process.stdout.write([process.stdout.isTTY, process.stdout.columns, process.stdout.rows].join(" "))'], {
          terminal: { cols: 100, rows: 30 },
        });
        expect((await collectText(run.stream)).trim()).to.equal('true 100 30');
      });
    });

    describe('workflows', function () {
      this.timeout(SLOW);

      if (target.registry) {
        it('installs a Node project\'s dependencies and shows the output', async () => {
          await engine.mount({
            'package.json': { file: { contents: JSON.stringify({ name: 'demo', private: true, dependencies: { 'is-number': '7.0.0' } }) } },
          });
          let output = '';
          const code = await engine.installDependencies({ onOutput: (chunk) => (output += chunk) });
          expect(code, output).to.equal(0);
          expect(output).to.match(/npm (install|ci)/);
          const check = await engine.exec('node', ['-e', 'console.log(require("is-number")(5))']);
          expect((await collectText(check.stream)).trim()).to.equal('true');
          await engine.deleteFile('package.json');
          await engine.deleteFile('node_modules');
        });
      }

      if (target.python) {
        it('installs a Python project\'s requirements.txt into a virtualenv on PATH', async () => {
          // PyPI is out of reach here, so the requirement is a wheel the test builds in the sandbox.
          await engine.writeFile('dist/.keep', '');
          const build = await engine.exec('python3', ['-c', `
import zipfile
with zipfile.ZipFile('dist/greet-1.0-py3-none-any.whl', 'w') as whl:
    whl.writestr('greet/__init__.py', 'GREETING = "hello from a wheel"\\n')
    whl.writestr('greet-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: greet\\nVersion: 1.0\\n')
    whl.writestr('greet-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')
    whl.writestr('greet-1.0.dist-info/RECORD', '')
`]);
          expect(await build.exit).to.equal(0);
          await engine.writeFile('requirements.txt', './dist/greet-1.0-py3-none-any.whl\n');
          let output = '';
          const code = await engine.installDependencies({ onOutput: (chunk) => (output += chunk) });
          expect(code, output).to.equal(0);
          expect(output).to.contain('pip install');
          const check = await engine.exec('python3', ['-c', 'import greet; print(greet.GREETING)']);
          expect((await collectText(check.stream)).trim()).to.equal('hello from a wheel');
          await engine.deleteFile('requirements.txt');
        });
      }

      itIf(target.fetchableDevServer)('starts a dev server whose URL answers HTTP', async () => {
        await engine.mount({
          'package.json': { file: { contents: JSON.stringify({ name: 'web', private: true, scripts: { start: 'node server.js' } }) } },
          'server.js': {
            file: {
              // CORS, so a browser test can read the answer of a preview on another origin.
              contents: `require('http').createServer((req, res) => res.setHeader('access-control-allow-origin', '*').end('hello from ' + req.url))
                .listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT));`,
            },
          },
        });
        const server = await engine.startDevServer();
        const response = await fetch(new URL('/probe', server.url));
        expect(await response.text()).to.equal('hello from /probe');
        expect(await waitForText(server.logs, (text) => text.includes('listening'))).to.contain(`listening on ${server.port}`);
        await server.process.kill();
        await server.process.exit;
      });

      it('fails with the server\'s output when the dev server exits early', async () => {
        const error = await rejectionOf(() => engine.startDevServer({ command: 'node -e "console.error(\'boom\'); process.exit(2)"' }));
        expect(error).to.be.instanceOf(DevServerError).and.to.have.property('code', 'DEV_SERVER_FAILED');
        expect(error.message).to.contain('code 2').and.to.contain('boom');
        expect(error).to.have.property('logs').that.contains('boom');
      });
    });
  });
}
