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
export type { Observable, Observer, Subscription } from './engine/observable.js';
export { WORKSPACE } from './engine/paths.js';
export { inferStack } from './engine/stack.js';
export type { Stack } from './engine/stack.js';
export type { WaitOptions } from './engine/wait.js';
