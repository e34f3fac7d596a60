import { css } from 'lit';

/**
 * The element's styles. Public custom properties (`--code-sandbox-*`) feed
 * private ones (`--_*`) per colour scheme, so an author's value wins in both.
 */
export const codeSandboxStyles = css`
  :host {
    display: block;
    contain: content;
    margin-block: 1em;
  }
  :host([hidden]) {
    display: none;
  }
  .base {
    --_font: var(--code-sandbox-font-family, system-ui, sans-serif);
    --_font-mono: var(--code-sandbox-font-family-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --_radius: var(--code-sandbox-border-radius, 6px);
    font-family: var(--_font);
    font-size: 0.875rem;
    color: var(--_foreground);
    background: var(--_background);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
    container-type: inline-size;
  }
  .light {
    --_background: var(--code-sandbox-background, #ffffff);
    --_foreground: var(--code-sandbox-foreground, #1f2328);
    --_muted: var(--code-sandbox-muted, #57606a);
    --_border: var(--code-sandbox-border-color, #d0d7de);
    --_accent: var(--code-sandbox-accent, #0969da);
    --_accent-text: var(--code-sandbox-accent-text, #ffffff);
    --_error: var(--code-sandbox-error, #cf222e);
    --_terminal-background: var(--code-sandbox-terminal-background, #f6f8fa);
    --_terminal-foreground: var(--code-sandbox-terminal-foreground, #1f2328);
    --_terminal-selection: var(--code-sandbox-terminal-selection, #b6d4fe);
  }
  .dark {
    --_background: var(--code-sandbox-background, #0d1117);
    --_foreground: var(--code-sandbox-foreground, #e6edf3);
    --_muted: var(--code-sandbox-muted, #9198a1);
    --_border: var(--code-sandbox-border-color, #3d444d);
    --_accent: var(--code-sandbox-accent, #4493f8);
    --_accent-text: var(--code-sandbox-accent-text, #0d1117);
    --_error: var(--code-sandbox-error, #ff7b72);
    --_terminal-background: var(--code-sandbox-terminal-background, #010409);
    --_terminal-foreground: var(--code-sandbox-terminal-foreground, #e6edf3);
    --_terminal-selection: var(--code-sandbox-terminal-selection, #264f78);
  }
  .code ::slotted(pre) {
    margin: 0;
    padding: 0.75em 1em;
    font-family: var(--_font-mono);
    overflow: auto;
    border-bottom: 1px solid var(--_border);
  }
  .editing ::slotted([data-file]),
  .ran ::slotted([data-output]) {
    display: none;
  }
  .code ::slotted([data-output]) {
    background: var(--_terminal-background);
    color: var(--_terminal-foreground);
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5em 1em;
    padding: 0.5em 0.75em;
    border-bottom: 1px solid var(--_border);
  }
  .controls {
    display: flex;
    gap: 0.375em;
  }
  button,
  .open {
    font: inherit;
    padding: 0.25em 0.75em;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) - 2px);
    background: transparent;
    color: inherit;
    cursor: pointer;
    text-decoration: none;
  }
  .run {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-text);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button:focus-visible,
  input:focus-visible,
  .open:focus-visible,
  .terminal:focus-within {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  .status {
    color: var(--_muted);
  }
  .status.error {
    color: var(--_error);
  }
  .engine,
  .warnings {
    margin: 0;
    padding: 0.375em 0.75em;
    color: var(--_muted);
    border-bottom: 1px solid var(--_border);
  }
  .warnings {
    padding-inline-start: 2em;
    color: var(--_error);
  }
  .panes {
    display: grid;
    grid-template-columns: 1fr;
    min-height: 0;
  }
  .panes.split {
    grid-template-columns: 1fr 1fr;
  }
  @container (max-width: 36rem) {
    .panes.split {
      grid-template: 1fr 1fr / 1fr;
    }
  }
  .terminal {
    position: relative;
    min-width: 0;
    min-height: 0;
    padding: 0.25em;
    background: var(--_terminal-background);
    color: var(--_terminal-foreground);
  }
  .terminal-box {
    position: absolute;
    inset: 0.25em;
  }
  .terminal .xterm-viewport {
    background-color: var(--_terminal-background) !important;
  }
  .preview {
    display: flex;
    flex-direction: column;
    min-width: 0;
    min-height: 0;
    border-inline-start: 1px solid var(--_border);
  }
  .address-bar {
    display: flex;
    gap: 0.375em;
    padding: 0.375em;
    border-bottom: 1px solid var(--_border);
  }
  .address-bar input {
    flex: 1;
    min-width: 0;
    font: inherit;
    font-family: var(--_font-mono);
    padding: 0.125em 0.5em;
    color: inherit;
    background: var(--_terminal-background);
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) - 2px);
  }
  iframe {
    flex: 1;
    width: 100%;
    border: 0;
    background: #fff;
  }
  .placeholder {
    margin: auto;
    padding: 1em;
    color: var(--_muted);
    text-align: center;
  }
  [hidden] {
    display: none !important;
  }
`;
