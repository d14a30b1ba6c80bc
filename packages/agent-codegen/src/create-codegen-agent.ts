import { type Agent, type AgentEvent, type AgentRunContext, defineAgent, ValidationError } from '@vector/core';
import type OpenAI from 'openai';
import { type CodegenAgentOptions, defaultModelBaseUrl, resolveCodegenAgentOptions } from './codegen-agent-options.js';
import { type CodegenPrompts, loadCodegenPrompts } from './prompts.js';
import { runCodegen } from './run-codegen.js';

/**
 * Creates the code-generation agent: for each chat message it classifies the intent
 * (generate, edit, fix, question), plans, edits a working copy of the project through
 * tools, checks the result (with the `buildChecker` when one is given, else by bundling it
 * with esbuild), feeds errors back for `maxFixRounds` rounds and ends with one `result`
 * that core saves as an `ai_generation` version.
 *
 * Works with any OpenAI-compatible chat-completions endpoint that streams tool calls.
 * A session's `settings.model`, `settings.intentModel` and (when allowed by
 * `allowedBaseUrls`) `settings.baseUrl` override the agent's for that session (the
 * deprecated `settings.baseURL` is still read).
 *
 * @throws ValidationError (`VALIDATION_FAILED`) for invalid options, a missing API key, or a
 * variable and its older alias set to different values (see {@link CodegenAgentOptions}).
 */
export function createCodegenAgent(options: CodegenAgentOptions = {}): Agent {
  const settings = resolveCodegenAgentOptions(options);
  if (!settings.client && !settings.apiKey) {
    throw new ValidationError({
      message: 'The codegen agent needs an API key: pass apiKey, set OPENAI_API_KEY, or pass a configured client (local servers such as Ollama accept any non-empty key)',
      issues: [{ path: ['apiKey'], message: 'missing' }],
    });
  }
  // Per instance, never per module: two agents with different keys must not share a client.
  let client: Promise<OpenAI> | null = null;
  let prompts: Promise<CodegenPrompts> | null = null;

  const baseClient = (): Promise<OpenAI> => {
    client ??= settings.client
      ? Promise.resolve(settings.client)
      : import('openai').then(({ default: OpenAIClient }) => new OpenAIClient({ apiKey: settings.apiKey, baseURL: settings.baseUrl ?? defaultModelBaseUrl, maxRetries: 0 }));
    return client;
  };
  const loadPrompts = (): Promise<CodegenPrompts> => {
    prompts ??= loadCodegenPrompts(settings.prompts);
    return prompts;
  };

  async function* run(context: AgentRunContext): AsyncGenerator<AgentEvent> {
    const session = context.session.settings;
    const text = (key: string) => (typeof session[key] === 'string' && session[key] !== '' ? (session[key] as string) : undefined);
    const settingKey = text('baseUrl') === undefined && text('baseURL') !== undefined ? 'baseURL' : 'baseUrl';
    const baseUrl = text(settingKey);
    if (baseUrl !== undefined && settings.allowedBaseUrls !== '*' && !settings.allowedBaseUrls.includes(baseUrl)) {
      throw new ValidationError({
        message: `Session setting ${settingKey} ${JSON.stringify(baseUrl.slice(0, 200))} is not in the agent's allowedBaseUrls; the embedder must allow it, because the API key is sent there`,
        issues: [{ path: ['settings', settingKey], message: 'not allowed' }],
      });
    }
    const [resolvedClient, resolvedPrompts] = await Promise.all([baseClient(), loadPrompts()]);
    yield* runCodegen(
      {
        options: settings,
        prompts: resolvedPrompts,
        client: baseUrl === undefined ? resolvedClient : resolvedClient.withOptions({ baseURL: baseUrl }),
        model: text('model') ?? settings.model,
        intentModel: text('intentModel') ?? text('model') ?? settings.intentModel,
      },
      context,
    );
  }

  return defineAgent({
    specificationVersion: 'v1',
    type: settings.type,
    capabilities: { streaming: true, editsCode: true },
    async init() {
      await loadPrompts();
    },
    run,
  });
}
