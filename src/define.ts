/**
 * `import 'code-sandbox/define'` registers `<code-sandbox>`. Idempotent: a
 * second registration (two bundles, a hot reload) is a no-op. The element's
 * heavy parts (xterm, the engines) load only when a sandbox runs.
 */
import { CodeSandboxElement } from './element/code-sandbox.js';

export { CodeSandboxElement };

/**
 * Registers the element as `tagName` (default `code-sandbox`) unless that name
 * is taken; returns the class registered under the name. A name that is taken
 * by another class is left alone with a console warning.
 */
export function defineCodeSandbox(tagName = 'code-sandbox'): CustomElementConstructor {
  const existing = customElements.get(tagName);
  if (existing) {
    if (existing !== CodeSandboxElement && !(existing.prototype instanceof CodeSandboxElement)) {
      console.warn(`code-sandbox: <${tagName}> is already defined by another element; pass another name to defineCodeSandbox().`);
    }
    return existing;
  }
  // A class can be registered under one name only: further names get a subclass.
  const registered = customElements.getName?.(CodeSandboxElement) ? class extends CodeSandboxElement {} : CodeSandboxElement;
  customElements.define(tagName, registered);
  return registered;
}

defineCodeSandbox();
