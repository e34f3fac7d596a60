import { expect } from 'chai';
import { inferStack, planDevServer, planInstall } from '../../src/engine/stack.js';

describe('stacks', () => {
  it('infers the stack from marker files, then from entry files', () => {
    expect(inferStack(['package.json', 'main.py'])).to.equal('node');
    expect(inferStack(['requirements.txt'])).to.equal('python');
    expect(inferStack(['pyproject.toml'])).to.equal('python');
    expect(inferStack(['go.mod'])).to.equal('go');
    expect(inferStack(['Cargo.toml'])).to.equal('rust');
    expect(inferStack(['index.mjs'])).to.equal('node');
    expect(inferStack(['hello.py'])).to.equal('python');
    expect(inferStack(['main.go'])).to.equal('go');
    expect(inferStack(['main.rb'])).to.equal('ruby');
    expect(inferStack(['index.php'])).to.equal('php');
    expect(inferStack(['src', 'lib.rs'])).to.equal('rust');
    expect(inferStack(['notes.txt'])).to.equal(undefined);
  });

  it('installs with the lockfile\'s package manager', () => {
    expect(planInstall(['package.json'])?.command).to.equal('npm install --no-audit --no-fund');
    expect(planInstall(['package.json', 'package-lock.json'])?.command).to.equal('npm ci --no-audit --no-fund');
    expect(planInstall(['package.json', 'yarn.lock'])?.command).to.match(/^yarn install/);
    expect(planInstall(['package.json', 'pnpm-lock.yaml'])?.command).to.match(/^pnpm install/);
    expect(planInstall(['requirements.txt'])?.command).to.match(/venv .*-r requirements\.txt/);
    expect(planInstall(['README.md'])).to.equal(undefined);
  });

  it('starts the dev or start script, else a conventional entry file', () => {
    const pkg = (scripts: object) => JSON.stringify({ scripts });
    expect(planDevServer(['package.json'], pkg({ dev: 'vite', start: 'node x' }))).to.equal('npm run dev');
    expect(planDevServer(['package.json'], pkg({ start: 'node x' }))).to.equal('npm start');
    expect(planDevServer(['package.json', 'server.js'], '{broken')).to.equal('node server.js');
    expect(planDevServer(['app.py'])).to.equal('python3 app.py');
    expect(planDevServer(['go.mod', 'main.go'])).to.equal('go run .');
    expect(planDevServer(['Cargo.toml', 'src'])).to.equal('cargo run');
    expect(planDevServer(['main.rb'])).to.equal('ruby main.rb');
    expect(planDevServer(['index.php'])).to.equal('php index.php');
    expect(planDevServer(['notes.txt'])).to.equal(undefined);
  });
});
