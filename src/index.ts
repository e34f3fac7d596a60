/**
 * code-sandbox: the isomorphic entry (browser and Node). The engine contract,
 * its errors and types, the engines and the element. Everything public is
 * exported by name, here or in ./remote/index.ts (code-sandbox/remote).
 */
// The engine contract, its errors and the remote engine (also code-sandbox/remote, without the element).
export * from './remote/index.js';
export { BrowserContainerEngine } from './browser-engine/browser-container-engine.js';
export type { BrowserContainerEngineOptions } from './browser-engine/browser-container-engine.js';
export type { WebContainerApi } from './browser-engine/webcontainer-api.js';
export { selectEngine, isSelectionError } from './selection/select-engine.js';
export type {
  BrowserFamily,
  EngineChoice,
  EngineEnvironment,
  EngineKind,
  EngineSelection,
  SelectionConfig,
  SelectionError,
} from './selection/select-engine.js';
export { browserFamily, detectEnvironment } from './selection/detect-environment.js';
export type { EnvironmentSource } from './selection/detect-environment.js';
export { CodeSandboxElement } from './element/code-sandbox.js';
export type { EngineFactory, EngineOptions } from './element/engine-loader.js';
export type { Layout, Persist, RequestedEngine, RunOn, SandboxConfig, Theme } from './example/sandbox-config.js';
export type { SandboxStatus } from './element/sandbox-status.js';
export { EngineSelectedEvent } from './element/events/engine-selected-event.js';
export { ExitEvent } from './element/events/exit-event.js';
export { OutputEvent } from './element/events/output-event.js';
export { SandboxErrorEvent } from './element/events/error-event.js';
export { PortChangeEvent } from './element/events/port-change-event.js';
export { ServerReadyEvent } from './element/events/server-ready-event.js';
export { StatusEvent } from './element/events/status-event.js';
