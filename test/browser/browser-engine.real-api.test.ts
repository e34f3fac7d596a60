/**
 * The real @webcontainer/api package, with its service unreachable (as offline, or
 * on these test machines): WebContainer.boot() hangs forever, so boot() must reject
 * with BootTimeoutError within its timeout, and a later boot must try again.
 */
import { expect } from 'chai';
import { BrowserContainerEngine } from '../../src/browser-engine/browser-container-engine.js';
import { rejectionOf } from '../contract/helpers.js';

/** Nothing listens on the discard port, so the service iframe never answers. */
const UNREACHABLE = 'http://127.0.0.1:9';

describe('BrowserContainerEngine on the real @webcontainer/api with its service unreachable', function () {
  this.timeout(30_000);

  it('runs on a cross-origin isolated page', () => {
    expect(globalThis.crossOriginIsolated).to.equal(true);
  });

  it('rejects boot() with BootTimeoutError within the timeout instead of hanging', async () => {
    const engine = new BrowserContainerEngine({ serviceOrigin: UNREACHABLE, bootTimeout: 3000 });
    const started = performance.now();
    const error = await rejectionOf(() => engine.boot());
    const elapsed = performance.now() - started;
    expect(error).to.have.property('code', 'BOOT_TIMEOUT');
    expect(error.message).to.contain('3000 ms').and.to.contain(UNREACHABLE).and.to.contain('remote-url');
    expect(elapsed).to.be.within(2900, 4500);
    expect(engine.status).to.equal('failed');
    expect(document.querySelectorAll(`iframe[src^="${UNREACHABLE}/headless"]`)).to.have.length(1);
    await engine.teardown();
  });

  it('gives a later boot its own deadline: it waits for the boot under way again, and times out again', async () => {
    const engine = new BrowserContainerEngine({ serviceOrigin: UNREACHABLE });
    const started = performance.now();
    const error = await rejectionOf(() => engine.boot({ timeout: 3000 }));
    expect(error).to.have.property('code', 'BOOT_TIMEOUT');
    expect(performance.now() - started, 'not the first failure, replayed').to.be.within(2900, 4500);
    expect(document.querySelectorAll(`iframe[src^="${UNREACHABLE}/headless"]`), 'no second boot queued behind the hung one').to.have.length(1);
    await engine.teardown();
  });
});
