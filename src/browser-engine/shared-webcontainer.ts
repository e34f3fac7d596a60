/**
 * One WebContainer per page, shared by every engine on it: `@webcontainer/api`
 * boots one at a time per page. Engines lease it; the last release tears it down.
 *
 * A boot that fails is forgotten, so the next lease boots again. A boot that hangs
 * (the service never answers) stays in flight: the real API would queue another
 * boot behind it anyway, so later leases wait for that same boot, each under its
 * own deadline, and get it if the service answers late. A boot that ends after
 * every waiter gave up is torn down, not leaked.
 */
import { raceSignal } from '../engine/wait.js';
import type { WebContainerApi, WebContainerBootOptions, WebContainerInstance } from './webcontainer-api.js';

/** The page's WebContainer for one API (the real package, or a stand-in). */
interface PageWebContainer {
  instance: WebContainerInstance | undefined;
  booting: Promise<WebContainerInstance> | undefined;
  leases: number;
  /** Dev server ports engines on this page have taken. */
  ports: Set<number>;
}

/** An engine's hold on the page's WebContainer. */
export interface WebContainerLease {
  /** The booted WebContainer. */
  readonly instance: WebContainerInstance;
  /** A dev server port no other engine on the page uses (from 3000 up), until `returnPort`. */
  takePort(): number;
  /** Marks a port as this engine's (a dev server found on a port it was not given), until `returnPort`. */
  claimPort(port: number): void;
  /** Whether an engine on the page has taken or claimed `port`. */
  isTaken(port: number): boolean;
  /** Gives back a port from `takePort` or `claimPort`. */
  returnPort(port: number): void;
  /** Lets go of the WebContainer; the last release tears it down. Safe to call twice. */
  release(): void;
}

const pages = new WeakMap<WebContainerApi, PageWebContainer>();

/**
 * Leases the page's WebContainer, booting it with `options` if no engine holds
 * one (the first boot's options win, as in `@webcontainer/api`). Rejects with the
 * signal's error when it fires first; the boot itself goes on for later leases.
 */
export async function leaseWebContainer(api: WebContainerApi, options: WebContainerBootOptions, signal: AbortSignal): Promise<WebContainerLease> {
  let page = pages.get(api);
  if (!page) pages.set(api, (page = { instance: undefined, booting: undefined, leases: 0, ports: new Set() }));
  const instance = page.instance ?? (await raceSignal((page.booting ??= bootOnce(api, page, options)), signal));
  page.leases++;
  let released = false;
  const held = page;
  return {
    instance,
    takePort() {
      let port = 3000;
      while (held.ports.has(port)) port++;
      held.ports.add(port);
      return port;
    },
    claimPort: (port) => held.ports.add(port),
    isTaken: (port) => held.ports.has(port),
    returnPort: (port) => held.ports.delete(port),
    release() {
      if (released) return;
      released = true;
      if (--held.leases === 0) tearDown(held, instance);
    },
  };
}

function bootOnce(api: WebContainerApi, page: PageWebContainer, options: WebContainerBootOptions): Promise<WebContainerInstance> {
  return Promise.resolve()
    .then(() => api.boot(options))
    .then(
      (instance) => {
        page.booting = undefined;
        page.instance = instance;
        // Waiters that are still there lease it in their continuations, before this timer.
        setTimeout(() => page.leases === 0 && tearDown(page, instance), 0);
        return instance;
      },
      (error: unknown) => {
        page.booting = undefined;
        throw error;
      },
    );
}

function tearDown(page: PageWebContainer, instance: WebContainerInstance): void {
  if (page.instance !== instance) return;
  page.instance = undefined;
  page.ports.clear();
  instance.teardown();
}
