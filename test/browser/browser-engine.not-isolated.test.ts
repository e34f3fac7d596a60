/** On a page served without COOP/COEP, the browser engine fails at once with the fix, before loading or booting anything. */
import { expect } from 'chai';
import { BrowserContainerEngine } from '../../src/browser-engine/browser-container-engine.js';
import { rejectionOf } from '../contract/helpers.js';
import { WebContainerStandIn } from './support/webcontainer-stand-in.js';

describe('BrowserContainerEngine on a page that is not cross-origin isolated', () => {
  it('is served without cross-origin isolation', () => {
    expect(globalThis.crossOriginIsolated).to.equal(false);
  });

  it('fails boot() fast with EngineUnavailableError that says which headers to send', async () => {
    const engine = new BrowserContainerEngine({ api: WebContainerStandIn });
    const started = performance.now();
    const error = await rejectionOf(() => engine.boot());
    expect(performance.now() - started).to.be.below(100);
    expect(error).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(error.message).to.contain('Cross-Origin-Opener-Policy: same-origin').and.to.contain('Cross-Origin-Embedder-Policy: require-corp');
    expect(error.message).to.contain('remote-url');
    expect(engine.status).to.equal('failed');
    expect(WebContainerStandIn.controls.boots, 'nothing was booted').to.equal(0);
    await engine.teardown();
  });

  it('fails the same way with the real @webcontainer/api, without loading its service', async () => {
    const engine = new BrowserContainerEngine({ serviceOrigin: 'http://127.0.0.1:9' });
    expect(await rejectionOf(() => engine.boot())).to.have.property('code', 'ENGINE_UNAVAILABLE');
    expect(document.querySelector('iframe')).to.equal(null);
  });
});
