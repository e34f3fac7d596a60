/**
 * code-sandbox/remote: the engine contract and the remote engine, without the
 * element. For Node programs (and workers) that drive a code-sandbox server:
 * importing it loads neither Lit nor the DOM.
 */
export { ContainerEngine } from '../engine/container-engine.js';
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
} from '../engine/container-engine.js';
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
} from '../engine/errors.js';
export type { SandboxErrorCode, SandboxErrorFields } from '../engine/errors.js';
export type { DirEntry, DirectoryNode, FileNode, FileSystemTree, SymlinkNode } from '../engine/file-system-tree.js';
export { collectText } from '../engine/observable.js';
export type { Observable, Observer, OutputSubject, Subscription } from '../engine/observable.js';
export { WORKSPACE } from '../engine/paths.js';
export type { PortEvent } from '../engine/ports.js';
export { inferStack } from '../engine/stack.js';
export type { Stack } from '../engine/stack.js';
export type { WaitOptions } from '../engine/wait.js';
export { RemoteContainerEngine } from './remote-container-engine.js';
export type { RemoteContainerEngineOptions } from './remote-container-engine.js';
export type { ReconnectOptions, WebSocketConstructor, WebSocketLike } from './connection.js';
export { PROTOCOL_VERSION } from '../protocol/messages.js';
