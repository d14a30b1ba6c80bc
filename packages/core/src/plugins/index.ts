export type {
  StorageBackend,
  StorageBackendV1,
  StorageCapabilities,
  StorageProject,
  GitSource,
  StorageProjectInput,
  SaveVersionInput,
  SaveVersionResult,
  FinalizeVersionInput,
  GetFilesInput,
  GetFileInput,
  ListFilesInput,
  DiffVersionsInput,
  DescribeGitSourceInput,
  CollectGarbageInput,
  CollectGarbageResult,
  StorageLocation,
  StorageHead,
  RefRelation,
  KeepOverInput,
  ImportRepositoryInput,
} from './storage-backend.js';
export type {
  DeploymentProvider,
  DeploymentProviderV1,
  DeploymentProviderCapabilities,
  DeploymentSource,
  ProviderDeploymentState,
  ProviderLogPage,
  DeployInput,
  ProviderDeploymentInput,
  GetLogsInput,
} from './deployment-provider.js';
export type { Agent, AgentV1, AgentCapabilities, AgentRunContext, AgentProjectFiles, AgentTool, AgentToolbox, AgentToolResult } from './agent.js';
export type { BuildChecker, BuildCheckerV1, BuildCheckInput, BuildCheckResult, BuildCheckStep, BuildDiagnostic } from './build-checker.js';
export type { SourceMirror, SourceMirrorV1, SourceMirrorProject, SourceMirrorVersion, SourceMirrorPublishInput } from './source-mirror.js';
export { defineStorageBackend, defineDeploymentProvider, defineAgent, defineSourceMirror } from './define-plugins.js';
