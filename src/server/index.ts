/**
 * code-sandbox/server: the Node-only entry. Engines that run sandboxes on this
 * machine's container runtime.
 */
export { LocalContainerEngine } from './local-engine/local-container-engine.js';
export type { LocalContainerEngineOptions, LocalProcess } from './local-engine/local-container-engine.js';
export { DEFAULT_IMAGE, STACK_IMAGES } from './stack-images.js';
export { OWNER_LABEL } from './local-engine/container-spec.js';
export { readSeccompProfile, SECCOMP_PROFILE_PATH } from './local-engine/seccomp.js';
export type { SandboxLimits } from './local-engine/container-spec.js';
export { createOrchestrator } from './orchestrator/orchestrator.js';
export type { Orchestrator } from './orchestrator/orchestrator.js';
export type { CreatedSession } from './orchestrator/http-app.js';
export type { OrchestratorLimits, OrchestratorOptions } from './orchestrator/options.js';
export type { Session } from './orchestrator/session.js';
export { REGISTRY_HOSTS } from './egress/allowlist.js';
export type { EgressMode, EgressProxyOptions } from './egress/sandbox-egress.js';
export type { FleetOptions } from './fleet/fleet.js';
