/** RemoteContainerEngine against a real orchestrator on real Docker: the shared contract, then what the wire promises. */
import './support/localhost-resolver.js';
import { expect } from 'chai';
import type { ContainerEngine } from '../../src/index.js';
import { RemoteContainerEngine } from '../../src/index.js';
import type { Orchestrator } from '../../src/server/index.js';
import { containerEngineContract } from '../contract/container-engine.contract.js';
import { checkNumberedLines, rejectionOf, waitForText } from '../contract/helpers.js';
import { containers, remoteEngine, startOrchestrator } from './support/orchestrator.js';

describe('RemoteContainerEngine over a real orchestrator', function () {
  this.timeout(60_000);
  let orchestrator: Orchestrator;
  let url: string;
  let owner: string;

  before(async () => {
    ({ orchestrator, url, owner } = await startOrchestrator({ allowedOrigins: ['http://docs.example'] }));
  });
  after(async () => {
    await orchestrator?.close();
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`), 'containers left behind').to.deep.equal([]);
  });

  containerEngineContract('RemoteContainerEngine (Node, ws) on Docker', {
    create: () => remoteEngine(url),
    assertGone: async (engine: ContainerEngine) => {
      const id = (engine as RemoteContainerEngine).sessionId;
      expect(id, 'the engine had a session').to.be.a('string');
      expect(orchestrator.sessions.has(id!), 'the session is gone from the server').to.equal(false);
      expect(await containers(`name=code-sandbox-${id}`)).to.deep.equal([]);
    },
    python: true,
    registry: true,
  });

  describe('the wire', () => {
    let engine: RemoteContainerEngine;
    before(async () => {
      engine = remoteEngine(url, { reconnect: { baseDelay: 50 } });
      await engine.boot();
    });
    after(() => engine?.teardown());

    it('resumes a dropped connection in the middle of a long output, complete and in order', async () => {
      const lines = 300_000;
      const run = await engine.exec('node', ['-e', `
        let i = 0;
        (function pump() {
          while (i < ${lines}) { if (!process.stdout.write(String(i++).padStart(9, '0') + '\\n')) return process.stdout.once('drain', pump); }
        })();`]);
      let dropped = 0;
      const seen = checkNumberedLines(run.stdout, (count) => {
        // Drop the connection twice while output is flowing.
        if ((dropped === 0 && count > 20_000) || (dropped === 1 && count > 150_000)) {
          dropped++;
          orchestrator.sessions.get(engine.sessionId!)!.disconnect();
        }
      });
      expect(await run.exit).to.equal(0);
      expect(dropped).to.equal(2);
      expect(seen.bad).to.equal(undefined);
      expect(seen.count).to.equal(lines);
    });

    it('keeps a process running across a dropped connection and takes its input after', async () => {
      const run = await engine.exec('node', ['-e', 'process.stdin.on("data", (d) => process.stdout.write("echo:" + d))']);
      orchestrator.sessions.get(engine.sessionId!)!.disconnect();
      await run.write('after-drop\n');
      await waitForText(run.stream, (text) => text.includes('echo:after-drop'));
      await run.kill();
      expect(await run.exit).to.equal(143);
    });

    it('runs an interactive shell on a pty: input, resize and kill', async () => {
      const shell = await engine.exec('bash', ['--norc', '-i'], { terminal: { cols: 80, rows: 24 } });
      await shell.write('stty size\r');
      await waitForText(shell.stream, (text) => text.includes('24 80'));
      await shell.resize({ cols: 120, rows: 40 });
      await shell.write('stty size\r');
      await waitForText(shell.stream, (text) => text.includes('40 120'));
      await shell.kill('SIGKILL');
      expect(await shell.exit).to.equal(137);
    });

    it('gives file errors their own classes across the wire', async () => {
      const missing = await rejectionOf(() => engine.readFile('nope.txt'));
      expect(missing.name).to.equal('FileNotFoundError');
      expect(missing).to.have.property('code', 'FILE_NOT_FOUND');
      expect(missing.message).to.contain('nope.txt');
    });
  });

  it('refuses a foreign Origin with a reason the page can read', async () => {
    const response = await fetch(`${url}/sessions`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(response.status).to.equal(403);
    expect(response.headers.get('access-control-allow-origin')).to.equal('http://evil.example');
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('FORBIDDEN_ORIGIN');
    expect(body.error.message).to.contain('--allow-origin http://evil.example');
  });

  it('lets an allowed Origin create a session', async () => {
    const response = await fetch(`${url}/sessions`, { method: 'POST', headers: { origin: 'http://docs.example' } });
    expect(response.status).to.equal(201);
    const body = (await response.json()) as { id: string; token: string };
    await fetch(`${url}/sessions/${body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${body.token}` } });
  });

  it('tells the reader of a running process why it stopped when its session ends under it', async () => {
    const short = await startOrchestrator({ allowedOrigins: ['http://docs.example'], limits: { maxLifetime: 3000 } });
    const engine = remoteEngine(short.url);
    try {
      await engine.boot();
      const run = await engine.exec('sh', ['-c', 'echo started; sleep 300']);
      let printed = '';
      run.stream.subscribe({ next: (text) => (printed += text) });
      expect(await run.exit).to.equal(137);
      expect(printed).to.match(/^started\n/);
      expect(printed).to.contain('The session reached its maximum lifetime.');
      expect(engine.status).to.equal('failed');
    } finally {
      await engine.teardown();
      await short.orchestrator.close();
    }
  });

  it('says why a server cannot be reached', async () => {
    const engine = remoteEngine('http://127.0.0.1:9');
    const error = await rejectionOf(() => engine.boot());
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error.message).to.contain('Cannot reach the sandbox server at http://127.0.0.1:9');
  });
});
