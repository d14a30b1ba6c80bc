/**
 * `@vector/agent-codegen`: a Vector agent that turns chat messages into new code versions
 * through any OpenAI-compatible chat-completions endpoint.
 * @packageDocumentation
 */
export { createCodegenAgent } from './create-codegen-agent.js';
export { defaultCodegenModel, defaultModelBaseUrl, type CodegenAgentOptions } from './codegen-agent-options.js';
export { codegenPromptNames, codegenPromptVersions, loadCodegenPrompts, type CodegenPromptName, type CodegenPrompts } from './prompts.js';
export { detectEntryPoints, type EntryPoints } from './detect-entry-points.js';
export type { CodegenIntent } from './parse-model-output.js';
