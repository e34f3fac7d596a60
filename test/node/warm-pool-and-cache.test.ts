/** What makes sessions fast on real Docker: the warm pool, freezing idle sessions, and the dependency cache. */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { collectText } from '../../src/index.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { until } from '../contract/helpers.js';
import { containers, IMAGE, remoteEngine, startOrchestrator } from './support/orchestrator.js';

const run = promisify(execFile);

describe('warm pool', function () {
  this.timeout(120_000);

  it('hands new sessions containers booted ahead of time, each used once, and refills', async () => {
    const { orchestrator, url, owner } = await startOrchestrator({ pool: 1 });
    try {
      // The pool keeps one container per image (every stack's image is there); these sessions run the default one.
      const ofDefaultImage = async () => {
        const { stdout } = await run('docker', ['ps', '-a', '--filter', `label=dev.code-sandbox.owner=${owner}`, '--format', '{{.ID}} {{.Image}}']);
        return stdout.split('\n').filter((line) => line.endsWith(` ${IMAGE}`)).map((line) => line.split(' ')[0]!);
      };
      // Ready when every container there is warm (one still booting is not claimed).
      const warm = async () => ((await (await fetch(`${url}/healthz`)).json()) as { warm: number }).warm;
      await until('a warm container', async () => (await ofDefaultImage()).length === 1 && (await warm()) === (await containers(`label=dev.code-sandbox.owner=${owner}`)).length);
      const [pooled] = await ofDefaultImage();
      const first = remoteEngine(url);
      await first.boot();
      const second = remoteEngine(url);
      await second.boot();
      const mine = await containers(`name=code-sandbox-${first.sessionId}`);
      const theirs = await containers(`name=code-sandbox-${second.sessionId}`);
      expect(mine, 'the first session got the pooled container').to.deep.equal([pooled]);
      expect(theirs).to.have.length(1);
      expect(theirs[0]).not.to.equal(pooled);
      // A claimed container starts empty and belongs to its session alone.
      expect(await first.readdir('')).to.deep.equal([]);
      await first.writeFile('mine.txt', 'first');
      expect((await second.readdir('')).map((entry) => entry.name)).not.to.include('mine.txt');
      const probe = await first.exec('node', ['-e', 'console.log("pooled ok")']);
      expect((await collectText(probe.stream)).trim()).to.equal('pooled ok');
      await until('the pool to refill', async () => (await ofDefaultImage()).length === 3);
      await first.teardown();
      await second.teardown();
    } finally {
      await orchestrator.close();
    }
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`), 'pooled containers removed on close').to.deep.equal([]);
  });
});

describe('freezing a session whose reader left', function () {
  this.timeout(120_000);

  it('pauses the container while nobody is connected and finds everything intact on return', async () => {
    const { orchestrator, url } = await startOrchestrator({ limits: { pauseAfter: 300, idleTimeout: 60_000 } });
    try {
      const created = (await (await fetch(`${url}/sessions`, { method: 'POST' })).json()) as { id: string; token: string; websocketUrl: string };
      const talk = async (requests: object[]) => {
        const socket = new WebSocket(`${created.websocketUrl}?token=${created.token}`);
        await new Promise((resolve) => socket.once('open', resolve));
        const replies: Array<Record<string, unknown>> = [];
        socket.on('message', (data) => replies.push(JSON.parse(data.toString().replace(/^[^{]*/, '')) as Record<string, unknown>));
        socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION }));
        for (const request of requests) socket.send(JSON.stringify(request));
        await until('the answers', async () => replies.filter((reply) => reply['t'] === 'res').length === requests.length);
        socket.close();
        return replies;
      };
      await talk([{ t: 'req', id: 1, op: 'exec', cmd: 'sh', args: ['-c', 'mkdir -p node_modules/kept && echo intact > node_modules/kept/index.js'] }]);
      const name = `code-sandbox-${created.id}`;
      await until('the container to be paused', async () => (await run('docker', ['inspect', '-f', '{{.State.Paused}}', name])).stdout.trim() === 'true');
      const replies = await talk([{ t: 'req', id: 2, op: 'readdir', path: 'node_modules/kept' }]);
      expect(replies.find((reply) => reply['t'] === 'res')).to.deep.include({ ok: true, result: [{ name: 'index.js', kind: 'file' }] });
      expect((await run('docker', ['inspect', '-f', '{{.State.Paused}}', name])).stdout.trim()).to.equal('false');
    } finally {
      await orchestrator.close();
    }
  });
});

describe('dependency cache', function () {
  this.timeout(240_000);

  it('restores the second install of the same manifests, from an install no reader could touch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'code-sandbox-deps-'));
    const { orchestrator, url } = await startOrchestrator({ dependencyCache: dir });
    const manifest = { 'package.json': { file: { contents: JSON.stringify({ name: 'cached', private: true, dependencies: { 'is-number': '7.0.0' } }) } } };
    try {
      const first = remoteEngine(url);
      await first.boot();
      await first.mount(manifest);
      let firstOutput = '';
      expect(await first.installDependencies({ onOutput: (chunk) => (firstOutput += chunk) })).to.equal(0);
      expect(firstOutput).not.to.contain('dependency cache');
      // A hostile reader tampers with their own node_modules: the cache must not see it.
      await first.writeFile('node_modules/is-number/index.js', 'module.exports = () => "poisoned"');
      await until('the cache to be filled', async () => (await readdir(dir)).some((name) => name.endsWith('.tar')));

      const second = remoteEngine(url);
      await second.boot();
      await second.mount(manifest);
      let output = '';
      expect(await second.installDependencies({ onOutput: (chunk) => (output += chunk) })).to.equal(0);
      expect(output).to.contain('restored from the dependency cache').and.to.contain('Done.');
      const check = await second.exec('node', ['-e', 'console.log(require("is-number")(5))']);
      expect((await collectText(check.stream)).trim()).to.equal('true');

      // Other manifests are another key: a miss, installed normally.
      const third = remoteEngine(url);
      await third.boot();
      await third.mount({ 'package.json': { file: { contents: JSON.stringify({ name: 'other', private: true }) } } });
      let thirdOutput = '';
      expect(await third.installDependencies({ onOutput: (chunk) => (thirdOutput += chunk) })).to.equal(0);
      expect(thirdOutput).not.to.contain('dependency cache');
      await Promise.all([first.teardown(), second.teardown(), third.teardown()]);
    } finally {
      await orchestrator.close();
    }
  });
});
