import { expect } from 'chai';
import { AbortError, TimeoutError } from '../../src/engine/errors.js';
import { deadline, raceSignal, sleep } from '../../src/engine/wait.js';
import { rejectionOf } from '../contract/helpers.js';

describe('deadlines and cancellation', () => {
  it('rejects with a TimeoutError that names the operation and the fix', async () => {
    const signal = deadline({ timeout: 20 }, undefined, 'Booting');
    const error = await rejectionOf(() => raceSignal(new Promise(() => undefined), signal));
    expect(error).to.be.instanceOf(TimeoutError);
    expect(error.message).to.contain('Booting did not finish within 20 ms').and.to.contain('`timeout`');
  });

  it('rejects with an AbortError when the caller aborts, and runs the clean-up', async () => {
    const controller = new AbortController();
    let cleaned = false;
    const pending = raceSignal(new Promise(() => undefined), deadline({ signal: controller.signal }, 10_000, 'x'), () => (cleaned = true));
    controller.abort();
    expect(await rejectionOf(() => pending)).to.be.instanceOf(AbortError);
    expect(cleaned).to.equal(true);
  });

  it('passes the result through when the promise wins', async () => {
    expect(await raceSignal(Promise.resolve(7), deadline(undefined, 1000, 'x'))).to.equal(7);
  });

  it('uses the default timeout unless the caller sets one', async () => {
    const error = await rejectionOf(() => sleep(1000, deadline(undefined, 10, 'Waiting')));
    expect(error.message).to.contain('within 10 ms');
  });
});
