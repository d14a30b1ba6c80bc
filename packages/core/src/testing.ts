/**
 * Test kits for plugin authors and Vector's own tests: conformance suites every plugin runs,
 * in-memory reference implementations, and database helpers. Requires `vitest`.
 * @packageDocumentation
 */
export { testDatabases, describeEachDatabase, type TestDatabase } from './testing/test-databases.js';
export {
  storageBackendConformance,
  storageBackendConformanceTests,
  type StorageBackendConformanceOptions,
} from './testing/storage-backend-conformance.js';
export {
  deploymentProviderConformance,
  deploymentProviderConformanceTests,
  type DeploymentProviderConformanceOptions,
} from './testing/deployment-provider-conformance.js';
export { agentConformance, agentConformanceTests, type AgentConformanceOptions, type AgentScenario } from './testing/agent-conformance.js';
export { createAgentTestContext, type AgentTestContextInput } from './testing/agent-test-context.js';
export {
  createMemoryStorage,
  createStaticProvider,
  createScriptedAgent,
  defaultAgentScript,
  type MemoryStorageOptions,
  type StaticProviderOptions,
  type ScriptedAgentOptions,
  type AgentScript,
  type AgentScriptOutput,
} from './reference/index.js';
export {
  checkCommandLine,
  directoryAvailable,
  filesByPath,
  producedDirectories,
  serveDirectory,
  type PlatformFiles,
} from './testing/platform-build-check.js';
