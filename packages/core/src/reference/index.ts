export { createMemoryStorage, type MemoryStorageOptions } from './memory-storage.js';
export { createStaticProvider, type StaticProviderOptions } from './static-provider.js';
export { createScriptedAgent, type ScriptedAgentOptions, type AgentScript, type AgentScriptOutput } from './scripted-agent.js';
export { defaultAgentScript } from './default-agent-script.js';
export { contentTypeFor } from './content-type.js';
