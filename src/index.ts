/**
 * code-sandbox: the isomorphic entry (browser and Node). The engine contract,
 * its errors and types. Everything public is exported here by name.
 */
export { ContainerEngine } from './engine/container-engine.js';
export type {
  DevServer,
  DevServerOptions,
  EngineStatus,
  ExecOptions,
  InstallOptions,
  ProcessHandle,
  ProcessOutput,
  ProcessSignal,
  TerminalSize,
} from './engine/container-engine.js';
export {
  AbortError,
  BootTimeoutError,
  DevServerError,
  EngineStateError,
  EngineUnavailableError,
  FileNotFoundError,
  InvalidPathError,
  LimitExceededError,
  ProcessError,
  ProtocolError,
  SandboxError,
  TimeoutError,
} from './engine/errors.js';
export type { SandboxErrorCode } from './engine/errors.js';
export type { DirEntry, DirectoryNode, FileNode, FileSystemTree, SymlinkNode } from './engine/file-system-tree.js';
export { collectText } from './engine/observable.js';
export type { Observable, Observer, OutputSubject, Subscription } from './engine/observable.js';
export { WORKSPACE } from './engine/paths.js';
export { inferStack } from './engine/stack.js';
export type { Stack } from './engine/stack.js';
export type { WaitOptions } from './engine/wait.js';
export { RemoteContainerEngine } from './remote/remote-container-engine.js';
export type { RemoteContainerEngineOptions } from './remote/remote-container-engine.js';
export type { ReconnectOptions, WebSocketConstructor, WebSocketLike } from './remote/connection.js';
export { PROTOCOL_VERSION } from './protocol/messages.js';
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
  RequestedEngine,
  SelectionConfig,
  SelectionError,
} from './selection/select-engine.js';
export { browserFamily, detectEnvironment } from './selection/detect-environment.js';
export type { EnvironmentSource } from './selection/detect-environment.js';
export { CodeSandboxElement } from './element/code-sandbox.js';
export type { EngineFactory, EngineOptions } from './element/engine-loader.js';
export type { Layout, Persist, RunOn, SandboxConfig, Theme } from './element/sandbox-config.js';
export type { SandboxStatus } from './element/sandbox-status.js';
export { EngineSelectedEvent } from './element/events/engine-selected-event.js';
export { ExitEvent } from './element/events/exit-event.js';
export { OutputEvent } from './element/events/output-event.js';
export { SandboxErrorEvent } from './element/events/error-event.js';
export { ServerReadyEvent } from './element/events/server-ready-event.js';
export { StatusEvent } from './element/events/status-event.js';
