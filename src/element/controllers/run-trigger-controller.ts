/**
 * Runs a sandbox by itself when its `run-on` says so: `load` once it is on the
 * page, `visible` once it scrolls into view (IntersectionObserver). `click`
 * waits for the Run button. Observers are released when the host leaves.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { RunOn } from '../../example/sandbox-config.js';

/** The host: an element that can say when it wants to run and start a run. */
export type RunTriggerHost = ReactiveControllerHost & Element;

export class RunTriggerController implements ReactiveController {
  readonly #host: RunTriggerHost;
  readonly #runOn: () => RunOn;
  readonly #start: () => void;
  #observer: IntersectionObserver | undefined;
  #armed = false;

  /** `runOn` reads the current setting; `start` runs the sandbox (only when it has not run on this connection). */
  constructor(host: RunTriggerHost, runOn: () => RunOn, start: () => void) {
    this.#host = host;
    this.#runOn = runOn;
    this.#start = start;
    host.addController(this);
  }

  hostConnected(): void {
    this.#armed = true;
  }

  /** After the first render on a connection: the setting is resolved, so arm the trigger. */
  hostUpdated(): void {
    if (!this.#armed) return;
    this.#armed = false;
    const runOn = this.#runOn();
    if (runOn === 'load') {
      this.#start();
    } else if (runOn === 'visible' && typeof IntersectionObserver === 'function') {
      this.#observer = new IntersectionObserver((entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        this.#release();
        this.#start();
      });
      this.#observer.observe(this.#host);
    }
  }

  hostDisconnected(): void {
    this.#armed = false;
    this.#release();
  }

  #release(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
  }
}
