/** The package as a user gets it: built, imported by name, driving a real container. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);

describe('the built package', function () {
  this.timeout(180_000);

  before(async () => {
    await run('npx', ['rollup', '-c', '--silent']);
  });

  it('runs the Node quick start through its public exports and leaves no container', async () => {
    const { stdout } = await run('node', ['demo/node-quickstart.mjs']);
    expect(stdout).to.match(/booted container [0-9a-f]{12}/);
    expect(stdout).to.contain('node main.js printed 42 and exited with 0');
    expect(stdout).to.contain('read back: written from Node');
    expect(stdout).to.match(/dev server at http:\/\/127\.0\.0\.1:\d+\/ answered: hi from the sandbox/);
    expect(stdout).to.contain('torn down (torn-down)');
    const id = /booted container ([0-9a-f]{12})/.exec(stdout)![1]!;
    const { stdout: left } = await run('docker', ['ps', '-aq', '--filter', `id=${id}`]);
    expect(left.trim()).to.equal('');
  });

  it('exposes every entry of the exports map with its types', async () => {
    const { stdout } = await run('node', ['--input-type=module', '-e', `
      const index = await import('code-sandbox');
      const server = await import('code-sandbox/server');
      const remote = await import('code-sandbox/remote');
      const plugins = [await import('code-sandbox/remark'), await import('code-sandbox/markdown-it')].map((m) => typeof m.default);
      console.log(JSON.stringify({ index: Object.keys(index).sort(), server: Object.keys(server).sort(), remote: Object.keys(remote).sort(), plugins }));`]);
    const { index, server, remote, plugins } = JSON.parse(stdout) as { index: string[]; server: string[]; remote: string[]; plugins: string[] };
    expect(plugins, 'the Markdown plugins are functions').to.deep.equal(['function', 'function']);
    expect(index).to.include.members(['ContainerEngine', 'SandboxError', 'InvalidPathError', 'collectText', 'inferStack', 'RemoteContainerEngine', 'CodeSandboxElement']);
    expect(server).to.include.members(['LocalContainerEngine', 'OWNER_LABEL']);
    expect(remote).to.include.members(['RemoteContainerEngine', 'ContainerEngine', 'FileNotFoundError', 'collectText']);
    const { stdout: types } = await run('ls', ['dist/index.d.ts', 'dist/server.d.ts', 'dist/remote.d.ts']);
    expect(types.trim().split('\n')).to.have.length(3);
  });

  it('code-sandbox/remote, as built, loads no Lit in Node', async () => {
    const { stdout } = await run('node', ['--input-type=module', '-e', `
      await import('code-sandbox/remote');
      console.log(Boolean(globalThis.litHtmlVersions || globalThis.reactiveElementVersions));`]);
    expect(stdout.trim()).to.equal('false');
  });
});
