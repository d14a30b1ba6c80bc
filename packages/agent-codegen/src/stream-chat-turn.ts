import { abortableDelay, type AgentEvent, CancelledError, ProviderError, type TokenUsage, errorMessage } from '@vector/core';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { estimateTokens } from './estimate-tokens.js';

/** A tool call the model asked for; `arguments` is the raw JSON text it streamed. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/** One finished model response. */
export interface ChatTurn {
  content: string;
  toolCalls: ToolCallRequest[];
  usage: TokenUsage;
  /** True when the endpoint sent no usage and the numbers are estimates (4 characters a token). */
  usageEstimated: boolean;
  finishReason: string;
}

/** What one streamed model call needs. */
export interface ChatTurnRequest {
  client: OpenAI;
  model: string;
  messages: ChatCompletionMessageParam[];
  tools?: ChatCompletionTool[];
  signal: AbortSignal;
  retry: { maxRetries: number; baseDelayMs: number };
  /** Emit `text_delta` events for the content as it arrives. */
  streamText: boolean;
  /** The name failed tries are recorded under (`step` events of kind `model`, status `failed`). */
  stepName?: string;
}

/**
 * Streams one chat completion, yielding `text_delta` events as content arrives and
 * returning the assembled turn (tool-call fragments joined by index). 429, 5xx, connection
 * failures and streams that end without a finish reason are retried with exponential
 * backoff (the `retry-after-ms`/`retry-after` hint wins when given). Each failed try is
 * reported as a failed `step` (which closes, and so discards, the text it streamed; see
 * `joinJobText`) and each retry by a `log` event. The abort signal is handed to the HTTP
 * request, so aborting closes the stream at once.
 *
 * @throws CancelledError when `signal` aborts; ProviderError when the endpoint fails for good.
 */
export async function* streamChatTurn(request: ChatTurnRequest): AsyncGenerator<AgentEvent, ChatTurn> {
  const { client, model, messages, tools, signal, retry } = request;
  for (let attempt = 0; ; attempt += 1) {
    if (signal.aborted) throw new CancelledError({ cause: signal.reason });
    const started = Date.now();
    let content = '';
    const calls = new Map<number, ToolCallRequest>();
    let usage: TokenUsage | null = null;
    let finishReason: string | null = null;
    try {
      const stream = await client.chat.completions.create(
        { model, messages, ...(tools && tools.length > 0 ? { tools } : {}), stream: true, stream_options: { include_usage: true } },
        { signal, maxRetries: 0 },
      );
      for await (const chunk of stream) {
        if (chunk.usage) {
          // Cached prompt tokens are part of prompt_tokens; they are priced at the cached rate.
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
          usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens, totalTokens: chunk.usage.total_tokens, ...(cached ? { cachedTokens: cached } : {}) };
        }
        const choice = chunk.choices[0];
        if (!choice) continue;
        const text = choice.delta.content;
        if (text) {
          content += text;
          if (request.streamText) yield { type: 'text_delta', text };
        }
        for (const fragment of choice.delta.tool_calls ?? []) {
          const call = calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
          if (fragment.id) call.id = fragment.id;
          if (fragment.function?.name) call.name += fragment.function.name;
          if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
          calls.set(fragment.index, call);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      if (finishReason === null) throw new StreamInterruptedError();
      const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({ ...call, id: call.id || `call_${attempt}_${index}` }));
      const usageEstimated = usage === null;
      usage ??= estimateUsage(messages, content, toolCalls);
      return { content, toolCalls, usage, usageEstimated, finishReason };
    } catch (error) {
      if (signal.aborted) throw new CancelledError({ message: 'The model call was cancelled', cause: error });
      const failure = toProviderError(error);
      yield { type: 'step', kind: 'model', name: request.stepName ?? 'model', model, durationMs: Date.now() - started, status: 'failed', error: failure.message, ...(usage ? { usage } : {}) };
      if (!failure.isRetryable || attempt >= retry.maxRetries) throw failure;
      const delay = failure.retryAfterMs ?? Math.round(retry.baseDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
      yield { type: 'log', level: 'warn', message: `Model call failed (${failure.message}); retry ${attempt + 1} of ${retry.maxRetries} in ${delay} ms. Text streamed since the last step is discarded.` };
      await abortableDelay(delay, signal);
    }
  }
}

class StreamInterruptedError extends Error {
  constructor() {
    super('the response stream ended before the model finished');
    this.name = 'StreamInterruptedError';
  }
}

const maxHintMs = 60_000;

function headerMs(headers: unknown): number | undefined {
  if (!headers || typeof (headers as Headers).get !== 'function') return undefined;
  const millis = Number.parseFloat((headers as Headers).get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return Math.min(millis, maxHintMs);
  const seconds = Number.parseFloat((headers as Headers).get('retry-after') ?? '');
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, maxHintMs);
  return undefined;
}

/** Maps an `openai` SDK or network error to a ProviderError, with secrets redacted. */
export function toProviderError(error: unknown): ProviderError {
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : undefined;
  const raw = errorMessage(error);
  const message = redact(raw).slice(0, 1000);
  if (status !== undefined) {
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new ProviderError({ provider: 'openai-compatible', status, isRetryable: retryable, retryAfterMs: headerMs((error as { headers?: unknown }).headers), message: `The model endpoint answered ${status}: ${message}`, cause: error });
  }
  // No HTTP status: the connection failed or the stream broke off; a new request may work.
  return new ProviderError({ provider: 'openai-compatible', isRetryable: true, message: `The model endpoint could not be reached or dropped the stream: ${message}`, cause: error });
}

function redact(text: string): string {
  return text.replace(/\b(sk|rk|pk)-[A-Za-z0-9_*-]{6,}/g, '$1-***').replace(/Bearer\s+\S+/gi, 'Bearer ***');
}

function estimateUsage(messages: ChatCompletionMessageParam[], content: string, toolCalls: ToolCallRequest[]): TokenUsage {
  const promptTokens = estimateTokens(JSON.stringify(messages));
  const completionTokens = estimateTokens(content + toolCalls.map((call) => call.name + call.arguments).join(''));
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

