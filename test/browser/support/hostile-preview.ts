/**
 * A hostile example for the preview isolation tests: a Node dev server whose
 * page, when first clicked (so with user activation, as a reader's click gives
 * it), attacks the page that embeds it, then reports each outcome to its parent.
 * Every navigation it tries goes to /hijacked?via=<attack> on the preview's
 * origin: one that went through would replace the test page, and
 * web-test-runner would fail the file naming that URL.
 */

/** The key the preview writes in its storage. */
export const STORAGE_KEY = 'code-sandbox-preview-isolation';

/**
 * What the preview posts to the element's page before its report, posing as
 * messages something there might act on: @webcontainer/api's boot handshake
 * (sent with a MessagePort), the element's events, commands.
 */
export const FORGED_MESSAGES: unknown[] = [
  { type: 'init' },
  { type: 'warning', level: 'error', message: 'forged by the preview' },
  { type: 'cs-server-ready', detail: { url: 'https://evil.example/', port: 443 } },
  { type: 'cs-exit', detail: { code: 0 } },
  { command: 'navigate', url: 'https://evil.example/' },
  { command: 'stop' },
  { id: 'forged', type: 'APPLY', path: ['run'], argumentList: [] },
  'preview rendered',
];

/** The preview's cookies: each is set by the server (HttpOnly) as `<name>_header` and by script as `<name>_script`. */
const cookies = (hostname: string) => ({
  // Its own origin's cookie; a cross-site frame may keep one only partitioned.
  preview_own: 'Path=/; SameSite=None; Secure; Partitioned',
  // Cookies for the host page's domain, which would reach the host page and every other preview.
  preview_wide: `Domain=${hostname}; Path=/; SameSite=None; Secure`,
  preview_wide_partitioned: `Domain=${hostname}; Path=/; SameSite=None; Secure; Partitioned`,
  preview_wide_lax: `Domain=${hostname}; Path=/`,
});

/** Names of the cookies the preview sets for its own origin only. */
export const OWN_COOKIES = ['preview_own_header', 'preview_own_script'];

export interface PreviewReport {
  kind: 'report';
  /** Whether the attacks ran with user activation. */
  activation: boolean | null;
  /** Reaching into the host page: each attempt's outcome ("threw SecurityError", "null"…). */
  read: Record<string, string>;
  /** Navigating the host page away: each attempt's outcome. */
  navigate: Record<string, string>;
  /** `document.cookie` in the preview, and the Cookie header its own server then received. */
  cookies: { script: string; server: string };
  /** What the preview reads back from its own storage. */
  storage: { local: string | null; session: string | null };
}

/** The page's script; CONFIG is filled in by `hostilePreviewServer`. */
const PAGE_SCRIPT = String.raw`
const outcome = (attempt) => {
  try {
    const value = attempt();
    if (value === null) return 'null';
    if (value === undefined) return 'no error';
    return typeof value === 'string' ? 'read ' + JSON.stringify(value) : 'returned ' + typeof value;
  } catch (error) {
    return 'threw ' + error.name;
  }
};
const hijack = (via) => new URL('/hijacked?via=' + encodeURIComponent(via), location.href).href;
const follow = (tag, via) => {
  const element = document.createElement(tag);
  element.target = '_top';
  if (tag === 'a') element.href = hijack(via);
  else Object.assign(element, { action: hijack(via), method: 'post' });
  document.body.append(element);
  if (tag === 'a') element.click();
  else element.submit();
};

let attacked = false;
const attack = async () => {
  if (attacked) return;
  attacked = true;
  parent.postMessage({ kind: 'attacking' }, '*');
  const report = { kind: 'report', activation: navigator.userActivation ? navigator.userActivation.isActive : null };
  report.read = {
    'parent.document': outcome(() => parent.document.title),
    'top.document.cookie': outcome(() => top.document.cookie),
    'parent.localStorage': outcome(() => parent.localStorage.getItem('x')),
    'parent.location.href': outcome(() => parent.location.href),
    frameElement: outcome(() => window.frameElement),
  };
  report.navigate = {
    'top.location.href = …': outcome(() => { top.location.href = hijack('top.location.href'); }),
    'top.location.replace(…)': outcome(() => top.location.replace(hijack('top.location.replace'))),
    "window.open(…, '_top')": outcome(() => window.open(hijack('window.open _top'), '_top')),
    '<a target="_top"> clicked': outcome(() => follow('a', 'a target=_top')),
    '<form target="_top"> submitted': outcome(() => follow('form', 'form target=_top')),
    // A popup the preview scripts (its initial about:blank shares the preview's origin)
    // navigating its opener's top: Firefox lets that through when popups are allowed.
    "a popup navigates its opener's top": outcome(() => {
      const popup = window.open('about:blank');
      if (!popup) return null;
      try {
        popup.eval('opener.top.location.href = ' + JSON.stringify(hijack('popup')));
      } finally {
        popup.close();
      }
    }),
  };
  for (const [name, attributes] of Object.entries(CONFIG.cookies)) document.cookie = name + '_script=1; ' + attributes;
  report.cookies = { script: document.cookie, server: await (await fetch('/cookies')).text() };
  localStorage.setItem(CONFIG.storageKey, 'written by the preview');
  sessionStorage.setItem(CONFIG.storageKey, 'written by the preview');
  report.storage = { local: localStorage.getItem(CONFIG.storageKey), session: sessionStorage.getItem(CONFIG.storageKey) };
  for (const message of CONFIG.forged) parent.postMessage(message, '*', message.type === 'init' ? [new MessageChannel().port1] : []);
  parent.postMessage(report, '*');
};
addEventListener('click', attack);
addEventListener('message', (event) => {
  if (event.origin === CONFIG.hostOrigin && event.data && event.data.kind === 'attack') attack();
});
parent.postMessage({ kind: 'armed' }, '*');
`;

/**
 * The example's server.js: serves the hostile page (and its cookies) at /, the
 * Cookie header it receives at /cookies. `hostOrigin` is the host page's: the
 * preview tries to set cookies for its domain, and takes an `{kind: 'attack'}`
 * message from it as a click (for browsers whose driver cannot click into it).
 */
export function hostilePreviewServer(hostOrigin: string): string {
  const config = { cookies: cookies(new URL(hostOrigin).hostname), forged: FORGED_MESSAGES, storageKey: STORAGE_KEY, hostOrigin };
  const page = `<!doctype html><title>hostile preview</title>
<style>button { position: fixed; inset: 0; width: 100%; height: 100%; }</style>
<button>Attack</button>
<script>const CONFIG = ${JSON.stringify(config)};${PAGE_SCRIPT}</script>`;
  const setCookies = Object.entries(config.cookies).map(([name, attributes]) => `${name}_header=1; ${attributes}; HttpOnly`);
  return `const page = ${JSON.stringify(page)};
const setCookies = ${JSON.stringify(setCookies)};
require('node:http').createServer((req, res) => {
  if (req.url === '/cookies') return res.end(req.headers.cookie ?? '');
  if (req.url !== '/') return res.writeHead(404).end('nothing here');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': setCookies }).end(page);
}).listen(process.env.PORT, '0.0.0.0');
`;
}
