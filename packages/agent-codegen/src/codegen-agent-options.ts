import { type BuildChecker, parseInput, ValidationError } from '@vector/core';
import type OpenAI from 'openai';
import { z } from 'zod';
import { type CodegenPromptName, codegenPromptNames } from './prompts.js';

/** The model the agent uses when neither `model` nor env `VECTOR_MODEL` gives one. */
export const defaultCodegenModel = 'gpt-4.1-mini';

/**
 * OpenAI's endpoint, the base URL when neither `baseUrl` nor env `OPENAI_BASE_URL` gives one.
 * Base URLs are the `openai` SDK's `baseURL`: they include the API version path (`/v1`), and
 * the SDK appends `/chat/completions` to them.
 */
export const defaultModelBaseUrl = 'https://api.openai.com/v1';

/**
 * Settings of {@link createCodegenAgent}. Every field is optional. The environment fallbacks
 * use the same names as `vector-server`: `OPENAI_API_KEY`, `OPENAI_BASE_URL` (older alias
 * `VECTOR_MODEL_BASE_URL`) and `VECTOR_MODEL` (older alias `VECTOR_AGENT_MODEL`); a variable and
 * its alias both set to different values are refused.
 */
export interface CodegenAgentOptions {
  /** API key of the endpoint. Default: env `OPENAI_API_KEY`. Never read from session settings. */
  apiKey?: string;
  /**
   * OpenAI-compatible base URL including its version path, as the `openai` SDK's `baseURL`:
   * e.g. `https://openrouter.ai/api/v1`, `http://localhost:11434/v1` (Ollama). Default: env
   * `OPENAI_BASE_URL` (or its older alias `VECTOR_MODEL_BASE_URL`), else {@link defaultModelBaseUrl}.
   */
  baseUrl?: string;
  /** @deprecated Spelled `baseUrl`, as in every Vector adapter; still accepted. */
  baseURL?: string;
  /** Model for planning and the tool loop. Default: env `VECTOR_MODEL` (or its older alias `VECTOR_AGENT_MODEL`), else {@link defaultCodegenModel}. */
  model?: string;
  /** Cheaper model for the intent classification call. Default: `model`. */
  intentModel?: string;
  /** A ready `openai` client (tests, proxies, custom fetch). When set, `apiKey` and `baseUrl` are ignored. */
  client?: OpenAI;
  /** Replacement texts for shipped prompts, keyed by prompt name. */
  prompts?: Partial<Record<CodegenPromptName, string>>;
  /** How many times validation errors go back to the model before the version is saved as `failed`. Default 2. */
  maxFixRounds?: number;
  /** Tokens (estimated at 4 characters each) of project context the model may see per request: file tree, file reads, history. Default 24 000. */
  contextTokenBudget?: number;
  /** Retries of a model call on 429, 5xx and dropped connections, with exponential backoff. Default `{ maxRetries: 3, baseDelayMs: 500 }`. */
  retry?: { maxRetries?: number; baseDelayMs?: number };
  /**
   * Base URLs a session's `settings.baseUrl` may select. The configured API key is sent to
   * that URL, so an open override would hand the key to whoever edits session settings.
   * Default: none (a session `baseUrl` fails the job); `'*'` allows any.
   */
  allowedBaseUrls?: string[] | '*';
  /** @deprecated Spelled `allowedBaseUrls`; still accepted. */
  allowedBaseURLs?: string[] | '*';
  /**
   * Checks the model's output the way a deployment would build it (install, type check,
   * `vite build`; e.g. `@vector/provider-local`'s checker) instead of bundling it in memory
   * with esbuild. Its located diagnostics go back to the model for `maxFixRounds` rounds,
   * and the version records `validationCheck: 'build'`. It gets all of the working copy's
   * files and the job's AbortSignal. When it cannot run (it throws), the bundle check stands
   * in for that round and a `log` event says why. Default: none (the esbuild bundle check).
   */
  buildChecker?: BuildChecker;
  /** Registry name. Default `codegen`. */
  type?: string;
}

const optionsSchema = z.object({
  apiKey: z.string().min(1).optional(),
  baseUrl: z.url().optional(),
  baseURL: z.url().optional(),
  model: z.string().min(1).optional(),
  intentModel: z.string().min(1).optional(),
  client: z.custom<OpenAI>((value) => typeof value === 'object' && value !== null && 'chat' in value, 'expected an OpenAI client instance').optional(),
  prompts: z.partialRecord(z.enum(codegenPromptNames as [CodegenPromptName, ...CodegenPromptName[]]), z.string().min(1)).optional(),
  maxFixRounds: z.number().int().min(0).max(10).default(2),
  contextTokenBudget: z.number().int().min(2_000).max(2_000_000).default(24_000),
  retry: z.object({ maxRetries: z.number().int().min(0).max(10).default(3), baseDelayMs: z.number().int().min(0).max(60_000).default(500) }).default({ maxRetries: 3, baseDelayMs: 500 }),
  allowedBaseUrls: z.union([z.literal('*'), z.array(z.url())]).optional(),
  allowedBaseURLs: z.union([z.literal('*'), z.array(z.url())]).optional(),
  buildChecker: z
    .custom<BuildChecker>(
      (value) => typeof value === 'object' && value !== null && (value as { specificationVersion?: unknown }).specificationVersion === 'v1' && typeof (value as { check?: unknown }).check === 'function',
      "expected a BuildChecker: an object with specificationVersion 'v1' and a check function",
    )
    .optional(),
  type: z.string().default('codegen'),
});

/** Options after defaults and environment fallbacks. */
export type ResolvedCodegenAgentOptions = Omit<z.output<typeof optionsSchema>, 'baseURL' | 'allowedBaseURLs'> & {
  model: string;
  intentModel: string;
  allowedBaseUrls: string[] | '*';
};

/**
 * Validates options and fills defaults from the environment (read only for what the options
 * leave out).
 *
 * @throws ValidationError for invalid options, or when a variable and its older alias are both
 * set to different values (`OPENAI_BASE_URL`/`VECTOR_MODEL_BASE_URL`, `VECTOR_MODEL`/`VECTOR_AGENT_MODEL`).
 */
export function resolveCodegenAgentOptions(options: CodegenAgentOptions, env: NodeJS.ProcessEnv = process.env): ResolvedCodegenAgentOptions {
  const parsed = parseInput(optionsSchema, options, 'codegen agent options');
  const { baseURL, allowedBaseURLs, ...rest } = parsed;
  const model = rest.model ?? fromEnvironment(env, 'VECTOR_MODEL', 'VECTOR_AGENT_MODEL') ?? defaultCodegenModel;
  return {
    ...rest,
    apiKey: rest.apiKey ?? (env.OPENAI_API_KEY || undefined),
    // The deprecated spellings still count when the new ones are not given.
    baseUrl: rest.baseUrl ?? baseURL ?? fromEnvironment(env, 'OPENAI_BASE_URL', 'VECTOR_MODEL_BASE_URL'),
    allowedBaseUrls: rest.allowedBaseUrls ?? allowedBaseURLs ?? [],
    model,
    intentModel: rest.intentModel ?? model,
  };
}

/** A variable or its older alias (empty counts as unset); refused when both are set and differ, since neither can be assumed meant. */
function fromEnvironment(env: NodeJS.ProcessEnv, name: string, alias: string): string | undefined {
  const value = env[name] || undefined;
  const older = env[alias] || undefined;
  if (value !== undefined && older !== undefined && value !== older) {
    throw new ValidationError({
      message: `${name} and ${alias} (its older alias) are both set, to different values: set only ${name}`,
      issues: [{ path: [alias], message: `differs from ${name}` }],
    });
  }
  return value ?? older;
}
