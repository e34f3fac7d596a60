/**
 * Quotas per embedding site and the miner rule, on real Docker and a real
 * orchestrator with small limits: refusals name their limit and say when it
 * resets (429, Retry-After); a session that burns its CPU is ended with a reason
 * the reader's engine reports.
 */
import { expect } from 'chai';
import { LimitExceededError } from '../../src/index.js';
import type { Orchestrator } from '../../src/server/index.js';
import { until } from '../contract/helpers.js';
import { containers, remoteEngine, startOrchestrator } from './support/orchestrator.js';

const SITE = 'http://docs.example';
const OTHER = 'http://other.example';
/** Keeps one core busy until killed. */
const BUSY_LOOP = ['-e', 'for (;;) {}'];

interface Answer {
  status: number;
  retryAfter: number;
  body: { id: string; token: string; error?: { code: string; message: string } };
}

async function create(url: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${url}/sessions`, { method: 'POST', headers });
  return { status: response.status, retryAfter: Number(response.headers.get('retry-after')), body: (await response.json()) as Answer['body'] };
}

async function remove(url: string, created: Answer): Promise<void> {
  const response = await fetch(`${url}/sessions/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.body.token}` } });
  expect(response.status).to.equal(204);
}

/**
 * Runs `fn` with every `fetch` carrying `origin`, as a browser page's would
 * (the remote engine has no header option: in a page, the browser sets it).
 */
async function fromPage<T>(origin: string, fn: () => Promise<T>): Promise<T> {
  const fetch = globalThis.fetch;
  globalThis.fetch = (input, init = {}) => fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), origin } });
  try {
    return await fn();
  } finally {
    globalThis.fetch = fetch;
  }
}

describe('quotas per site', function () {
  this.timeout(120_000);
  let orchestrator: Orchestrator | undefined;
  let owner: string;

  afterEach(async () => {
    await orchestrator?.close();
    orchestrator = undefined;
    expect(await containers(`label=dev.code-sandbox.owner=${owner}`)).to.deep.equal([]);
  });

  it('refuses a site past its sessions at once and its sessions an hour, naming the limit; other sites and API keys are unaffected', async () => {
    let url: string;
    ({ orchestrator, url, owner } = await startOrchestrator({
      allowedOrigins: [SITE, OTHER],
      apiKeys: ['server-key'],
      limits: { originSessions: 2, originSessionsPerHour: 3 },
    }));
    const first = await create(url, { origin: SITE });
    const second = await create(url, { origin: SITE });
    expect([first.status, second.status]).to.deep.equal([201, 201]);

    const atOnce = await create(url, { origin: SITE });
    expect(atOnce.status).to.equal(429);
    expect(atOnce.body.error?.message).to.equal('This site (http://docs.example) already has 2 sandboxes open (limit 2 at once); try again when one closes.');
    expect(atOnce.retryAfter).to.be.greaterThan(0);
    const other = await create(url, { origin: OTHER });
    expect(other.status, 'another site has its own quota').to.equal(201);
    const keyed = await create(url, { origin: SITE, authorization: 'Bearer server-key' });
    expect(keyed.status, 'API-keyed calls are not counted').to.equal(201);

    await remove(url, first);
    const third = await create(url, { origin: SITE });
    expect(third.status, 'a slot freed').to.equal(201);
    await remove(url, third);
    const perHour = await create(url, { origin: SITE });
    expect(perHour.status).to.equal(429);
    expect(perHour.body.error?.message).to.match(/^This site \(http:\/\/docs\.example\) started 3 sandboxes in the last hour \(limit 3 an hour\); try again in (59|60) minutes\.$/);
    expect(perHour.retryAfter).to.be.within(3500, 3600);
  });

  it('shares one quota among requests without an Origin, and the remote engine reports its refusal with Retry-After', async () => {
    let url: string;
    ({ orchestrator, url, owner } = await startOrchestrator({ limits: { originSessions: 1 } }));
    const engine = remoteEngine(url);
    await engine.boot();
    try {
      const refused = await remoteEngine(url).boot().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(LimitExceededError);
      expect((refused as LimitExceededError).message).to.contain('Clients without an Origin (not a web page) already has 1 sandbox open (limit 1 at once)');
      expect((refused as LimitExceededError).retryAfter).to.be.greaterThan(0);
    } finally {
      await engine.teardown();
    }
  });

  it("charges a site's CPU: a busy loop spends its budget, its session is ended saying so, and the site's next session is refused until it resets", async () => {
    let url: string;
    ({ orchestrator, url, owner } = await startOrchestrator({
      allowedOrigins: [SITE, OTHER],
      limits: { originCpuSecondsPerHour: 3, cpuSampleInterval: 500 },
    }));
    const engine = remoteEngine(url);
    await fromPage(SITE, () => engine.boot());
    const idle = remoteEngine(url);
    await fromPage(SITE, () => idle.boot());
    await engine.exec('node', BUSY_LOOP);
    await until('the busy session to be ended', async () => engine.status === 'failed', 90_000);
    expect(String(engine.failure)).to.match(/Ended: this site's sandboxes used all their CPU time for this hour; it resets in (60|61) minutes\./);
    expect(idle.status, 'a session using no CPU is left to its reader').to.equal('ready');

    const refused = await create(url, { origin: SITE });
    expect(refused.status).to.equal(429);
    expect(refused.body.error?.message).to.match(/^This site \(http:\/\/docs\.example\) used all its CPU time for this hour \(limit 3 CPU-seconds an hour\); try again in (60|61) minutes\.$/);
    expect(refused.retryAfter).to.be.within(3540, 3660);
    expect((await create(url, { origin: OTHER })).status, 'another site has its own budget').to.equal(201);
    await idle.teardown();
  });

  it('charges the CPU a session used since its last sample when it ends', async () => {
    let url: string;
    // No sample in the session's life: only its end can charge it.
    ({ orchestrator, url, owner } = await startOrchestrator({ limits: { originCpuSecondsPerHour: 1, cpuSampleInterval: 3_600_000 } }));
    const engine = remoteEngine(url);
    await engine.boot();
    const busy = await engine.exec('node', ['-e', 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 1.5e6); console.log("done")']);
    expect(await busy.exit).to.equal(0);
    await engine.teardown();
    const refused = await create(url, {});
    expect(refused.status).to.equal(429);
    expect(refused.body.error?.message).to.contain('Clients without an Origin (not a web page) used all its CPU time for this hour (limit 1 CPU-seconds an hour)');
  });

  it('ends a session that keeps its CPU busy for the miner window, with a reason its reader sees; bursts are left alone', async () => {
    let url: string;
    // A fifth of a core each: the loop is held at its limit however busy this machine is.
    ({ orchestrator, url, owner } = await startOrchestrator({ sandboxLimits: { cpus: 0.2 }, limits: { minerWindow: 5_000, cpuSampleInterval: 500 } }));
    const miner = remoteEngine(url);
    const bursty = remoteEngine(url);
    await Promise.all([miner.boot(), bursty.boot()]);
    // Busy for 2 s out of every 4: at its limit in bursts, never for the whole window.
    await bursty.exec('node', ['-e', 'setInterval(() => { const t = Date.now(); while (Date.now() - t < 2000); }, 4000)']);
    await miner.exec('node', BUSY_LOOP);
    await until('the miner to be ended', async () => miner.status === 'failed', 90_000);
    expect(String(miner.failure)).to.contain('Ended: this example used all its CPU for 5 seconds, as a crypto miner would. Run it again to restart.');
    expect(bursty.status, 'the bursty session runs on').to.equal('ready');
    await until("the miner's container to be removed", async () => (await containers(`label=dev.code-sandbox.owner=${owner}`)).length === 1);
    await bursty.teardown();
  });
});
