export type { StorageBackend, StorageBackendV1, StorageCapabilities, StorageProject, GitSource } from './storage-backend.js';
export type {
  DeploymentProvider,
  DeploymentProviderV1,
  DeploymentProviderCapabilities,
  DeploymentSource,
  ProviderDeploymentState,
  ProviderLogPage,
} from './deployment-provider.js';
export type { Agent, AgentV1, AgentCapabilities, AgentRunContext, AgentProjectFiles } from './agent.js';
export type { BuildChecker, BuildCheckerV1, BuildCheckResult, BuildCheckStep, BuildDiagnostic } from './build-checker.js';
export type { SourceMirror, SourceMirrorV1, SourceMirrorProject, SourceMirrorVersion, SourceMirrorPublishInput } from './source-mirror.js';
export { defineStorageBackend, defineDeploymentProvider, defineAgent, defineSourceMirror } from './define-plugins.js';
