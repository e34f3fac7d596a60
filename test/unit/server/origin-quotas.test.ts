/** The per-site quotas' counters, without Docker: sessions at once, creations and CPU in a rolling hour. Node only. */
import { expect } from 'chai';
import { HttpError } from '../../../src/server/orchestrator/http-errors.js';
import { NO_ORIGIN, OriginQuotas, quotaKey } from '../../../src/server/orchestrator/origin-quotas.js';

const SITE = 'https://docs.example.com';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The refusal `admit` throws, or undefined when it admits. */
function refusal(quotas: OriginQuotas, id: string, key: string | undefined, now: number): HttpError | undefined {
  try {
    quotas.admit(id, key, now);
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
}

describe('site quotas', () => {
  it('keys requests by Origin; no Origin is one site of its own; API-keyed requests are not counted', () => {
    expect(quotaKey(SITE, false)).to.equal(SITE);
    expect(quotaKey(undefined, false)).to.equal(NO_ORIGIN);
    expect(quotaKey(SITE, true)).to.equal(undefined);
    const quotas = new OriginQuotas({ originSessions: 1, originSessionsPerHour: 1, originCpuSecondsPerHour: 1 });
    for (let i = 0; i < 5; i++) expect(refusal(quotas, `k${i}`, undefined, 0)).to.equal(undefined);
  });

  it('refuses a site its sessions-at-once limit until one closes, naming the limit; other sites are unaffected', () => {
    const quotas = new OriginQuotas({ originSessions: 2, originSessionsPerHour: 100, originCpuSecondsPerHour: 100 });
    expect(refusal(quotas, 'a', SITE, 0)).to.equal(undefined);
    expect(refusal(quotas, 'b', SITE, 0)).to.equal(undefined);
    const refused = refusal(quotas, 'c', SITE, 0)!;
    expect(refused.status).to.equal(429);
    expect(refused.message).to.match(/This site \(https:\/\/docs\.example\.com\) already has 2 sandboxes open \(limit 2 at once\)/);
    expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
    expect(refusal(quotas, 'x', 'https://other.example', 0), 'another site').to.equal(undefined);
    expect(refusal(quotas, 'y', undefined, 0), 'an API key').to.equal(undefined);
    quotas.release('a');
    expect(refusal(quotas, 'c', SITE, 0)).to.equal(undefined);
  });

  it('refuses a site past its creations per rolling hour, saying when the oldest leaves the window', () => {
    const quotas = new OriginQuotas({ originSessions: 100, originSessionsPerHour: 2, originCpuSecondsPerHour: 100 });
    expect(refusal(quotas, 'a', SITE, 0)).to.equal(undefined);
    expect(refusal(quotas, 'b', SITE, 30 * MINUTE)).to.equal(undefined);
    quotas.release('a');
    quotas.release('b');
    const refused = refusal(quotas, 'c', SITE, 48 * MINUTE)!;
    expect(refused.message).to.contain('started 2 sandboxes in the last hour (limit 2 an hour); try again in 12 minutes');
    expect(refused.headers['retry-after']).to.equal(String(12 * 60));
    expect(refusal(quotas, 'c', SITE, HOUR - 1), 'a millisecond early').to.be.instanceOf(HttpError);
    expect(refusal(quotas, 'c', SITE, HOUR), 'the first creation left the window').to.equal(undefined);
  });

  it('charges CPU per site in a rolling hour and refuses new sessions once it is spent, until enough has aged out', () => {
    const quotas = new OriginQuotas({ originSessions: 100, originSessionsPerHour: 100, originCpuSecondsPerHour: 10 });
    quotas.charge(SITE, 4, 0);
    quotas.charge(SITE, 4, 20 * MINUTE + 5_000);
    expect(quotas.cpuUsed(SITE, 20 * MINUTE + 5_000)).to.equal(8);
    expect(quotas.cpuResetIn(SITE, 20 * MINUTE + 5_000)).to.equal(undefined);
    expect(refusal(quotas, 'a', SITE, 21 * MINUTE)).to.equal(undefined);
    quotas.charge(SITE, 2.5, 30 * MINUTE);
    // 10.5 used: it drops below 10 when the first minute's 4 leave the window, at 1 h 1 min.
    expect(quotas.cpuResetIn(SITE, 30 * MINUTE)).to.equal(31 * MINUTE);
    const refused = refusal(quotas, 'b', SITE, 30 * MINUTE)!;
    expect(refused.message).to.contain('used all its CPU time for this hour (limit 10 CPU-seconds an hour); try again in 31 minutes');
    expect(refused.headers['retry-after']).to.equal(String(31 * 60));
    expect(quotas.cpuUsed('https://other.example', 30 * MINUTE), 'another site').to.equal(0);
    expect(refusal(quotas, 'b', SITE, HOUR + MINUTE)).to.equal(undefined);
    expect(quotas.cpuUsed(SITE, HOUR + MINUTE)).to.equal(6.5);
  });

  it('frees a session slot once, whatever the number of releases, and remembers nothing for unknown ids', () => {
    const quotas = new OriginQuotas({ originSessions: 1, originSessionsPerHour: 100, originCpuSecondsPerHour: 100 });
    expect(refusal(quotas, 'a', SITE, 0)).to.equal(undefined);
    expect(quotas.keyOf('a')).to.equal(SITE);
    quotas.release('a');
    quotas.release('a');
    quotas.release('never');
    expect(quotas.keyOf('a')).to.equal(undefined);
    expect(refusal(quotas, 'b', SITE, 0)).to.equal(undefined);
    expect(refusal(quotas, 'c', SITE, 0), 'one slot, not two').to.be.instanceOf(HttpError);
  });
});
