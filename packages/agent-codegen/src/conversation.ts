import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { estimateTokens } from './estimate-tokens.js';

const elided = '[output elided to keep the context small; call the tool again if you still need it]';

/**
 * Keeps a conversation within `tokenBudget` by eliding the content of older tool results
 * (oldest first, the latest `keepRecent` untouched). The messages themselves stay, so
 * every tool call keeps its answer, as the API requires. Returns a new array.
 */
export function compactConversation(messages: ReadonlyArray<ChatCompletionMessageParam>, tokenBudget: number, keepRecent = 4): ChatCompletionMessageParam[] {
  const result = [...messages];
  let total = estimateTokens(JSON.stringify(result));
  if (total <= tokenBudget) return result;
  const toolIndexes = result.flatMap((message, index) => (message.role === 'tool' ? [index] : []));
  for (const index of toolIndexes.slice(0, Math.max(0, toolIndexes.length - keepRecent))) {
    const message = result[index];
    if (!message || message.role !== 'tool' || typeof message.content !== 'string' || message.content.length <= elided.length) continue;
    total -= estimateTokens(message.content) - estimateTokens(elided);
    result[index] = { ...message, content: elided };
    if (total <= tokenBudget) break;
  }
  return result;
}

/** The most recent chat history that fits `tokenBudget`, oldest first; system messages are left out. */
export function recentHistory(history: ReadonlyArray<{ role: string; content: string }>, tokenBudget: number): ChatCompletionMessageParam[] {
  const kept: ChatCompletionMessageParam[] = [];
  let used = 0;
  for (const entry of [...history].reverse()) {
    if (entry.role !== 'user' && entry.role !== 'assistant') continue;
    used += estimateTokens(entry.content);
    if (used > tokenBudget) break;
    kept.unshift({ role: entry.role, content: entry.content });
  }
  return kept;
}
