// The three browser engines the browser suites run in, all Debian's (npm cannot
// download browsers here; scripts/setup.sh installs them): Chromium through
// puppeteer-core over CDP, Firefox ESR through puppeteer over WebDriver BiDi, and
// WebKitGTK's MiniBrowser through WebKitWebDriver (WebDriver classic) on a
// virtual X display. Plus `browserUnderTestPlugin`, which tells a test page which
// launcher opened it, so tests compare detected capabilities with the truth.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { chromeLauncher } from '@web/test-runner-chrome';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { WebdriverLauncher } from '@web/test-runner-webdriver';

export function chromium() {
  const launcher = chromeLauncher({
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  });
  launcher.name = 'Chromium'; // chromeLauncher says "Chrome" for any local browser
  return launcher;
}

export function firefox() {
  return puppeteerLauncher({
    launchOptions: {
      browser: 'firefox',
      executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
      headless: true,
      // No update checks or telemetry pings from a test browser.
      extraPrefsFirefox: { 'app.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false },
    },
  });
}

/** How long WebKitWebDriver gets to open MiniBrowser: without a display it hangs forever. */
const WEBKIT_SESSION_TIMEOUT_MS = 60_000;

/**
 * WebKitGTK's MiniBrowser, driven by a WebKitWebDriver this launcher starts (and
 * stops) under `xvfb-run -a`: WebKitGTK needs an X display even for automation.
 */
class WebKitLauncher extends WebdriverLauncher {
  #driver;

  constructor() {
    super({
      capabilities: {
        browserName: 'MiniBrowser',
        'wdio:enforceWebDriverClassic': true,
        'webkitgtk:browserOptions': { args: ['--automation'] },
      },
      logLevel: 'error',
      connectionRetryTimeout: WEBKIT_SESSION_TIMEOUT_MS,
      connectionRetryCount: 0,
    });
  }

  async initialize(config, testFiles) {
    await super.initialize(config, testFiles);
    this.name = 'WebKit';
    const port = await freePort();
    this.#driver = spawn('xvfb-run', ['-a', process.env.WEBKIT_WEBDRIVER_PATH ?? 'WebKitWebDriver', `--port=${port}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true, // its own process group: stop() ends xvfb-run, Xvfb and the driver together
    });
    this.#driver.on('exit', () => (this.#driver = undefined));
    await waitForPort(port, 20_000, () => this.#driver === undefined);
    Object.assign(this.options, { hostname: '127.0.0.1', port });
  }

  async stop() {
    await super.stop();
    if (this.#driver?.pid) process.kill(-this.#driver.pid, 'SIGTERM');
  }
}

export function webkit() {
  return new WebKitLauncher();
}

/** A server command, `browser-under-test`: the name of the launcher that opened the page. */
export function browserUnderTestPlugin() {
  return {
    name: 'browser-under-test',
    executeCommand({ command, session }) {
      return command === 'browser-under-test' ? session.browser.name : undefined;
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

async function waitForPort(port, timeoutMs, exited) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('WebKitWebDriver exited at start; is webkit2gtk-driver installed (bash scripts/setup.sh browsers)?');
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true))).on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WebKitWebDriver did not listen on port ${port} within ${timeoutMs / 1000} s`);
}
