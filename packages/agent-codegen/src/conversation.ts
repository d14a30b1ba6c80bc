import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { estimateTokens } from './estimate-tokens.js';

const elided = '[output elided to keep the context small; call the tool again if you still need it]';

/**
 * Keeps a conversation within `tokenBudget`, oldest first: it elides the content of older
 * tool results and shortens the file contents in older `write_file`/`edit_file` call
 * arguments (the file itself holds them; every argument is resent on each call). The
 * latest `keepRecent` tool results and the calls they answer are spared in a first pass;
 * if that is not enough, a second pass spares only the very last result. Messages are
 * never removed, so every tool call keeps its answer, as the API requires. Returns a new
 * array; the input is not changed.
 */
export function compactConversation(messages: ReadonlyArray<ChatCompletionMessageParam>, tokenBudget: number, keepRecent = 4): ChatCompletionMessageParam[] {
  const result = [...messages];
  let total = estimateTokens(JSON.stringify(result));
  if (total <= tokenBudget) return result;
  const toolIndexes = result.flatMap((message, index) => (message.role === 'tool' ? [index] : []));
  for (const spared of [keepRecent, 1]) {
    // Everything from the first spared tool result on, and the call message it answers, stays.
    const firstSpared = toolIndexes[Math.max(0, toolIndexes.length - spared)] ?? result.length;
    const sparedCall = result.slice(0, firstSpared).findLastIndex((message) => message.role === 'assistant');
    for (let index = 0; index < firstSpared && total > tokenBudget; index += 1) {
      if (index === sparedCall && spared === keepRecent) continue;
      const message = result[index];
      const shorter = message ? shorten(message) : null;
      if (!message || !shorter) continue;
      total -= estimateTokens(JSON.stringify(message)) - estimateTokens(JSON.stringify(shorter));
      result[index] = shorter;
    }
    if (total <= tokenBudget) break;
  }
  return result;
}

// A smaller version of a tool result or a file-writing call, or null when there is nothing to cut.
function shorten(message: ChatCompletionMessageParam): ChatCompletionMessageParam | null {
  if (message.role === 'tool') return typeof message.content === 'string' && message.content.length > elided.length ? { ...message, content: elided } : null;
  if (message.role !== 'assistant' || !message.tool_calls) return null;
  let changed = false;
  const toolCalls = message.tool_calls.map((call) => {
    if (call.type !== 'function' || (call.function.name !== 'write_file' && call.function.name !== 'edit_file')) return call;
    const summary = elideFileArguments(call.function.arguments);
    if (summary.length >= call.function.arguments.length) return call;
    changed = true;
    return { ...call, function: { ...call.function, arguments: summary } };
  });
  return changed ? { ...message, tool_calls: toolCalls } : null;
}

// Keeps the path (so the model still knows what it touched) and drops the file text.
function elideFileArguments(raw: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return JSON.stringify({ elided: `${raw.length} characters of invalid arguments` });
  }
  if (!parsed || typeof parsed !== 'object') return raw;
  const args = { ...(parsed as Record<string, unknown>) };
  if (typeof args.content === 'string') args.content = `[${args.content.length} characters, elided to keep the context small; read the file for its current content]`;
  if (Array.isArray(args.edits)) args.edits = `[${args.edits.length} edit block(s), elided to keep the context small; read the file for its current content]`;
  return JSON.stringify(args);
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
