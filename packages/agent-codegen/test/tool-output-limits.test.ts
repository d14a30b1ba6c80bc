import { createAgentTestContext } from '@vector/core/testing';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { runCodegenTool } from '../src/codegen-tools.js';
import { compactConversation } from '../src/conversation.js';
import { estimateTokens } from '../src/estimate-tokens.js';
import { WorkingCopy } from '../src/working-copy.js';
import { agentFor, collect, intentAndPlan, runContext } from './agent-test-helpers.js';
import { useFakeOpenAIServer } from './fake-openai-server.js';

const copyOf = (files: Record<string, string>) => new WorkingCopy(createAgentTestContext({ message: 'x', files: Object.entries(files).map(([path, content]) => ({ path, content })) }).files);
const limits = { maxOutputChars: 48_000 };

describe('tool output stays within its share of the context', () => {
  it('read_file cuts a one-line 2 MB minified file by characters', async () => {
    const copy = copyOf({ 'dist/app.min.js': `var a=${'x'.repeat(2_000_000)};` });
    const outcome = await runCodegenTool({ name: 'read_file', arguments: JSON.stringify({ path: 'dist/app.min.js' }), copy, mode: 'change', limits });
    expect(outcome.ok).toBe(true);
    expect(outcome.output.length).toBeLessThanOrEqual(limits.maxOutputChars);
    expect(outcome.output.split('\n')[0]).toMatch(/^\[dist\/app\.min\.js: lines 1-1 of 1; cut after \d+ of 2000007 characters/);
    expect(outcome.output).toContain('var a=xxx');
  });

  it('a failed edit quotes a long matching line only in part', async () => {
    const long = `const data = "${'y'.repeat(100_000)}";`;
    const copy = copyOf({ 'src/data.ts': `${long}\nexport default data;\n` });
    const outcome = await runCodegenTool({ name: 'edit_file', arguments: JSON.stringify({ path: 'src/data.ts', edits: [{ search: `${long}\nexport default wrong;`, replace: 'x' }] }), copy, mode: 'change', limits });
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toContain('Its first line occurs at line 1');
    expect(outcome.output).toContain('line cut at 300 characters');
    expect(outcome.output.length).toBeLessThan(2_000);
  });

  it('compaction shortens old write_file/edit_file arguments as well as old tool results', () => {
    const call = (id: string, name: string, args: Record<string, unknown>): ChatCompletionMessageParam => ({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: JSON.stringify(args) } }] });
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'system' },
      { role: 'user', content: 'make it' },
      call('a', 'write_file', { path: 'src/big.ts', content: 'w'.repeat(60_000) }),
      { role: 'tool', tool_call_id: 'a', content: 'Created src/big.ts.' },
      call('b', 'edit_file', { path: 'src/big.ts', edits: [{ search: 'w'.repeat(30_000), replace: 'v'.repeat(30_000) }] }),
      { role: 'tool', tool_call_id: 'b', content: 'Applied 1 edit(s) to src/big.ts.' },
      call('c', 'read_file', { path: 'src/other.ts' }),
      { role: 'tool', tool_call_id: 'c', content: 'r'.repeat(20_000) },
      call('d', 'write_file', { path: 'src/new.ts', content: 'n'.repeat(8_000) }),
      { role: 'tool', tool_call_id: 'd', content: 'Created src/new.ts.' },
    ];
    const before = JSON.stringify(messages);
    const compacted = compactConversation(messages, 10_000, 2);
    expect(JSON.stringify(messages)).toBe(before);
    expect(estimateTokens(JSON.stringify(compacted))).toBeLessThanOrEqual(10_000);
    expect(compacted).toHaveLength(messages.length);
    const args = (index: number) => JSON.parse((compacted[index] as { tool_calls: Array<{ function: { arguments: string } }> }).tool_calls[0]!.function.arguments) as Record<string, unknown>;
    expect(args(2)).toEqual({ path: 'src/big.ts', content: '[60000 characters, elided to keep the context small; read the file for its current content]' });
    expect(args(4)).toEqual({ path: 'src/big.ts', edits: '[1 edit block(s), elided to keep the context small; read the file for its current content]' });
    // The latest call and its answer are spared while the rest is enough.
    expect(args(8)).toEqual({ path: 'src/new.ts', content: 'n'.repeat(8_000) });
    expect(compacted[7]).toEqual(messages[7]);
  });

  it('compaction elides even recent results when those alone pass the budget, keeping the last', () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'u' }];
    for (const id of ['a', 'b', 'c', 'd']) {
      messages.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'read_file', arguments: '{"path":"x"}' } }] });
      messages.push({ role: 'tool', tool_call_id: id, content: id.repeat(40_000) });
    }
    const compacted = compactConversation(messages, 12_000);
    expect(estimateTokens(JSON.stringify(compacted))).toBeLessThanOrEqual(12_000);
    expect(compacted.at(-1)).toEqual(messages.at(-1));
  });
});

describe('tool messages in the conversation', () => {
  const fake = useFakeOpenAIServer();

  it('caps each tool message when it is added, whatever the tool answered', async () => {
    fake.enqueue(
      ...intentAndPlan('edit'),
      { toolCalls: [{ name: `unknown_${'z'.repeat(30_000)}`, arguments: {} }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Nothing', summary: 'Nothing to do.' } }] },
    );
    const { error } = await collect(agentFor(fake, { contextTokenBudget: 2_000 }).run(runContext({ files: { 'a.ts': 'export const a = 1;\n' }, message: 'do it' })));
    expect(error).toBeNull();
    const last = fake.requests.at(-1)?.body.messages as Array<{ role: string; content: string }>;
    const toolMessage = last.find((message) => message.role === 'tool');
    expect(toolMessage?.content.startsWith('Error: Unknown tool')).toBe(true);
    expect(toolMessage?.content.length).toBeLessThanOrEqual(4_000 + 100);
  });
});
