/** Where a `<code-sandbox>` is in a run. */
export type SandboxStatus = 'idle' | 'booting' | 'installing' | 'running' | 'exited' | 'error';
