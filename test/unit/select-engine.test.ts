/** Engine selection on the whole matrix, plus capability detection from fake browsers. DOM-free. */
import { expect } from 'chai';
import type { Stack } from '../../src/engine/stack.js';
import { browserFamily, detectEnvironment } from '../../src/selection/detect-environment.js';
import {
  isSelectionError,
  selectEngine,
  type BrowserFamily,
  type EngineEnvironment,
} from '../../src/selection/select-engine.js';
import type { RequestedEngine } from '../../src/example/sandbox-config.js';

const families: BrowserFamily[] = ['chromium', 'firefox', 'webkit', 'unknown'];
const isolations = [
  { crossOriginIsolated: true, sharedArrayBuffer: true },
  { crossOriginIsolated: false, sharedArrayBuffer: false },
  { crossOriginIsolated: true, sharedArrayBuffer: false },
  { crossOriginIsolated: false, sharedArrayBuffer: true },
];
const stacks: Array<Stack | undefined> = [undefined, 'node', 'python', 'go', 'rust', 'ruby', 'php', 'shell'];
const requests: RequestedEngine[] = ['auto', 'browser', 'remote'];

const env = (family: BrowserFamily, isolated = true): EngineEnvironment => ({
  family,
  crossOriginIsolated: isolated,
  sharedArrayBuffer: isolated,
});

describe('selectEngine', () => {
  it('keeps its rules on every cell of the matrix (family × isolation × stack × remote × request)', () => {
    let cells = 0;
    for (const family of families) {
      for (const isolation of isolations) {
        for (const stack of stacks) {
          for (const remoteConfigured of [true, false]) {
            for (const engine of requests) {
              cells++;
              const environment = { family, ...isolation };
              const selection = selectEngine({ engine, stack, remoteConfigured }, environment);
              const cell = JSON.stringify({ family, ...isolation, stack, remoteConfigured, engine, selection });
              const webContainerCapable =
                family !== 'webkit' && isolation.crossOriginIsolated && isolation.sharedArrayBuffer && (stack ?? 'node') === 'node';
              if (isSelectionError(selection)) {
                expect(selection.error, cell).to.be.a('string').and.have.length.above(20);
                expect(selection, cell).not.to.have.property('engine');
                // auto with a remote always runs somewhere; a capable browser always runs unless remote is demanded
                expect(engine === 'auto' && remoteConfigured, cell).to.equal(false);
                if (engine !== 'remote') expect(webContainerCapable, cell).to.equal(false);
                // the fix is always named
                if (!remoteConfigured) expect(selection.error, cell).to.contain('remote-url');
                continue;
              }
              expect(selection.reason, cell).to.be.a('string').and.match(/^Running (in your browser|on a server)/);
              if (selection.engine === 'browser') {
                expect(webContainerCapable, cell).to.equal(true);
                expect(engine, cell).not.to.equal('remote');
                expect(selection.reason, cell).to.match(/^Running in your browser/);
                expect(selection.fallback, cell).to.equal(remoteConfigured && (family !== 'firefox' || engine === 'browser') ? 'remote' : undefined);
              } else {
                expect(remoteConfigured, cell).to.equal(true);
                expect(engine, cell).not.to.equal('browser');
                expect(selection.reason, cell).to.match(/^Running on a server: /);
                expect(selection, cell).not.to.have.property('fallback');
              }
            }
          }
        }
      }
    }
    expect(cells).to.equal(4 * 4 * 8 * 2 * 3);
  });

  it('runs Node.js in Chromium on an isolated page, with the server as fallback when there is one', () => {
    expect(selectEngine({ remoteConfigured: false }, env('chromium'))).to.deep.equal({
      engine: 'browser',
      reason: 'Running in your browser (WebContainers): this page can run Node.js in your browser.',
    });
    expect(selectEngine({ stack: 'node', remoteConfigured: true }, env('chromium'))).to.include({ engine: 'browser', fallback: 'remote' });
    expect(selectEngine({ engine: 'browser', stack: 'node', remoteConfigured: false }, env('unknown'))).to.include({ engine: 'browser' });
  });

  it('says Safari cannot run WebContainers, and runs on the server when it can', () => {
    expect(selectEngine({ stack: 'node', remoteConfigured: true }, env('webkit'))).to.deep.equal({
      engine: 'remote',
      reason: "Running on a server: Safari can't run WebContainers.",
    });
    const error = selectEngine({ stack: 'node', remoteConfigured: false }, env('webkit'));
    expect(error).to.have.property('error').that.matches(/^Safari can't run WebContainers: .*Chromium.*remote-url/);
  });

  it('names the missing headers on a page that is not cross-origin isolated', () => {
    expect(selectEngine({ stack: 'node', remoteConfigured: true }, env('chromium', false))).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: this page is not cross-origin isolated, which WebContainers need.',
    });
    const error = selectEngine({ engine: 'browser', stack: 'node', remoteConfigured: true }, env('chromium', false));
    expect(error).to.have.property('error').that.contains('Cross-Origin-Embedder-Policy: require-corp').and.contains('remove engine="browser"');
  });

  it('gives an actionable message for a Python example without a remote engine', () => {
    expect(selectEngine({ stack: 'python', remoteConfigured: false }, env('chromium'))).to.deep.equal({
      error:
        'This example needs Python, which WebContainers cannot run; set remote-url (or a page-wide <meta name="code-sandbox:remote-url" content="...">) to run it on a server.',
    });
    expect(selectEngine({ stack: 'python', remoteConfigured: true }, env('webkit'))).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: this example needs Python, which WebContainers cannot run.',
    });
    expect(selectEngine({ engine: 'browser', stack: 'go', remoteConfigured: true }, env('chromium')))
      .to.have.property('error').that.matches(/needs Go.*remove engine="browser"/);
  });

  it('prefers the server in Firefox, which runs WebContainers only partly, and honours engine="browser"', () => {
    expect(selectEngine({ stack: 'node', remoteConfigured: true }, env('firefox'))).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: Firefox runs WebContainers only partly.',
    });
    expect(selectEngine({ stack: 'node', remoteConfigured: false }, env('firefox'))).to.include({ engine: 'browser' });
    expect(selectEngine({ engine: 'browser', stack: 'node', remoteConfigured: true }, env('firefox'))).to.include({
      engine: 'browser',
      fallback: 'remote',
    });
  });

  it('honours engine="remote", and says how to configure it when it is missing', () => {
    expect(selectEngine({ engine: 'remote', stack: 'node', remoteConfigured: true }, env('chromium'))).to.deep.equal({
      engine: 'remote',
      reason: 'Running on a server: this example asks for the remote engine.',
    });
    expect(selectEngine({ engine: 'remote', remoteConfigured: false }, env('chromium')))
      .to.have.property('error').that.contains('set remote-url');
  });
});

describe('detectEnvironment', () => {
  const ua = {
    chrome: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
    edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0',
    firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    safari: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    webkitGtk: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15',
    chromeIos: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1',
    firefoxIos: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15',
  };

  it('tells engine families apart, with every iOS browser as WebKit', () => {
    expect(browserFamily({ userAgent: ua.chrome })).to.equal('chromium');
    expect(browserFamily({ userAgent: ua.edge })).to.equal('chromium');
    expect(browserFamily({ userAgent: ua.firefox })).to.equal('firefox');
    expect(browserFamily({ userAgent: ua.safari })).to.equal('webkit');
    expect(browserFamily({ userAgent: ua.webkitGtk })).to.equal('webkit');
    expect(browserFamily({ userAgent: ua.chromeIos })).to.equal('webkit');
    expect(browserFamily({ userAgent: ua.firefoxIos })).to.equal('webkit');
    expect(browserFamily({ userAgent: ua.safari, maxTouchPoints: 5 })).to.equal('webkit'); // iPadOS posing as a Mac
    expect(browserFamily({ userAgent: 'curl/8' })).to.equal('unknown');
    expect(browserFamily(undefined)).to.equal('unknown');
  });

  it('trusts userAgentData brands (a Chromium-only API) over the user agent string', () => {
    const brands = [{ brand: 'Not A;Brand' }, { brand: 'Chromium' }];
    expect(browserFamily({ userAgent: 'Mozilla/5.0', userAgentData: { brands } })).to.equal('chromium');
  });

  it('reads isolation and SharedArrayBuffer by feature detection', () => {
    // (a stand-in constructor: a page that is not isolated has no SharedArrayBuffer to pass)
    expect(detectEnvironment({ crossOriginIsolated: true, SharedArrayBuffer: class {}, navigator: { userAgent: ua.chrome } })).to.deep.equal({
      crossOriginIsolated: true,
      sharedArrayBuffer: true,
      family: 'chromium',
    });
    expect(detectEnvironment({ navigator: { userAgent: ua.firefox } })).to.deep.equal({
      crossOriginIsolated: false,
      sharedArrayBuffer: false,
      family: 'firefox',
    });
  });

  it('reads the real runtime without throwing', () => {
    const environment = detectEnvironment();
    expect(environment.crossOriginIsolated).to.be.a('boolean');
    expect(families).to.include(environment.family);
  });
});
