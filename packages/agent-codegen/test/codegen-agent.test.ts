import { BudgetExceededError, CancelledError, type JobEventData, joinJobText, LimitExceededError, ProviderError, ValidationError } from '@vector/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { agentFor, collect, eventTypes, intentAndPlan, modelSteps, reactApp, runContext } from './agent-test-helpers.js';
import { useFakeOpenAIServer } from './fake-openai-server.js';
import { defaultCodegenModel, defaultModelBaseUrl, resolveCodegenAgentOptions } from '../src/codegen-agent-options.js';

const fake = useFakeOpenAIServer();
beforeEach(() => {
  fake.requests.length = 0;
  expect(fake.pending()).toBe(0);
});

const resultOf = (events: ReadonlyArray<{ type: string }>) => events.find((event) => event.type === 'result') as Extract<import('@vector/core').AgentEvent, { type: 'result' }> | undefined;

describe('codegen agent scenarios', () => {
  it('generates an app from an empty project, streaming what it does', async () => {
    const app = reactApp('Todo');
    fake.enqueue(
      ...intentAndPlan('generate', ['Create index.html and package.json', 'Write src/main.tsx and src/App.tsx']),
      { text: 'Creating the app files.', toolCalls: Object.entries(app).map(([path, content]) => ({ name: 'write_file', arguments: { path, content } })) },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Create a todo app', summary: 'I created a small React todo app.' } }] },
    );
    const { events, error } = await collect(agentFor(fake).run(runContext({ message: 'Build me a todo app' })));
    expect(error).toBeNull();
    expect(eventTypes(events)).toEqual([
      'step', 'intent', 'step', 'plan',
      'text_delta', 'step',
      ...Object.keys(app).flatMap(() => ['tool_call', 'tool_result', 'file_changed', 'step']),
      'step', 'tool_call', 'tool_result', 'step',
      'step', 'validation', 'result',
    ]);
    // Every model call and tool call is a step; the check is one too.
    expect(events.filter((event) => event.type === 'step').map((event) => `${(event as { kind: string }).kind}:${(event as { name: string }).name}`)).toEqual([
      'model:intent', 'model:plan', 'model:change',
      ...Object.keys(app).map(() => 'tool:write_file'),
      'model:change', 'tool:finish', 'tool:check_project',
    ]);
    expect(events.filter((event) => event.type === 'step').every((event) => /^sha256:[0-9a-f]{64}$/.test((event as { inputDigest: string }).inputDigest))).toBe(true);
    expect(events.find((event) => event.type === 'intent')).toMatchObject({ intent: 'generate' });
    expect(events.find((event) => event.type === 'plan')).toMatchObject({ steps: ['Create index.html and package.json', 'Write src/main.tsx and src/App.tsx'] });
    expect(events.filter((event) => event.type === 'text_delta').map((event) => (event as { text: string }).text).join('')).toBe('Creating the app files.');
    expect(events.filter((event) => event.type === 'file_changed').every((event) => (event as { change: string }).change === 'created')).toBe(true);
    // Without a build checker, the esbuild bundle check runs.
    expect(events.find((event) => event.type === 'validation')).toEqual({ type: 'validation', status: 'passed', round: 1, errors: [], check: 'bundle' });
    const result = resultOf(events);
    expect(result).toMatchObject({ commitMessage: 'Create a todo app', summary: 'I created a small React todo app.', validationStatus: 'passed', validationCheck: 'bundle' });
    expect(result?.changes.map((change) => change.path)).toEqual(Object.keys(app).sort());
    expect(result?.changes.find((change) => change.path === 'src/App.tsx')).toMatchObject({ type: 'write', content: app['src/App.tsx'] });
    // Usage per call as the endpoint reported it; the intent call used the cheap model.
    const usages = modelSteps(events);
    expect(usages.map((usage) => usage.model)).toEqual(['test-mini', 'test-model', 'test-model', 'test-model']);
    expect(fake.requests.map((request) => request.body.model)).toEqual(['test-mini', 'test-model', 'test-model', 'test-model']);
    expect(fake.requests.every((request) => request.body.stream === true && (request.body.stream_options as { include_usage: boolean }).include_usage)).toBe(true);
    expect(fake.requests.every((request) => request.authorization === `Bearer ${fake.apiKey}`)).toBe(true);
  });

  it('edits one file in a 200-file project without sending the whole project to the model', async () => {
    const files: Record<string, string> = reactApp('Dashboard');
    for (let index = 0; index < 196; index += 1) {
      files[`src/widgets/widget-${String(index).padStart(3, '0')}.tsx`] = `// secret-marker-${index}\nexport const Widget${index} = () => <div>widget ${index} ${'x'.repeat(400)}</div>;\n`;
    }
    expect(Object.keys(files)).toHaveLength(200);
    fake.enqueue(
      ...intentAndPlan('edit', ['Change the heading in src/App.tsx']),
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/App.tsx' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '<h1>Dashboard</h1>', replace: '<h1>Sales dashboard</h1>' }] } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Rename the dashboard heading', summary: 'The heading now reads "Sales dashboard".' } }] },
    );
    const { events, error } = await collect(agentFor(fake, { contextTokenBudget: 8_000 }).run(runContext({ files, message: 'Call the heading "Sales dashboard"' })));
    expect(error).toBeNull();
    const result = resultOf(events);
    expect(result?.changes).toEqual([{ type: 'write', path: 'src/App.tsx', content: 'export function App() {\n  return <h1>Sales dashboard</h1>;\n}\n' }]);
    expect(result?.validationStatus).toBe('passed');
    expect(events.filter((event) => event.type === 'file_changed')).toEqual([{ type: 'file_changed', path: 'src/App.tsx', change: 'modified' }]);
    // The model saw a tree and the one file it asked for, never the widgets' contents.
    for (const request of fake.requests) {
      const sent = JSON.stringify(request.body.messages);
      expect(sent).not.toContain('secret-marker-');
      expect(sent.length / 4).toBeLessThan(8_000 * 2);
    }
    const planRequest = JSON.stringify(fake.requests[1]?.body.messages);
    expect(planRequest).toContain('src/App.tsx');
    expect(planRequest).toContain('src/widgets/');
    expect(JSON.stringify(fake.requests[3]?.body.messages)).toContain('return <h1>Dashboard</h1>');
  });

  it('sends validation errors back to the model and saves once the second round passes', async () => {
    const files = reactApp('Shop');
    fake.enqueue(
      ...intentAndPlan('edit', ['Add a cart component']),
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: 'export function App() {', replace: "import { Cart } from './Cart';\nimport confetti from 'canvas-confetti';\n\nexport function App() {\n  confetti();" }, { search: '<h1>Shop</h1>', replace: '<><h1>Shop</h1><Cart /></>' }] } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Add a cart', summary: 'Added a cart.' } }] },
      {
        toolCalls: [
          { name: 'write_file', arguments: { path: 'src/Cart.tsx', content: 'export function Cart() {\n  return <aside>Cart</aside>;\n}\n' } },
          { name: 'write_file', arguments: { path: 'package.json', content: JSON.stringify({ name: 'app', dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0', 'canvas-confetti': '^1.9.0' } }) } },
        ],
      },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Add a cart with confetti', summary: 'Added a cart component and the confetti package.' } }] },
    );
    const { events, error } = await collect(agentFor(fake).run(runContext({ files, message: 'Add a cart' })));
    expect(error).toBeNull();
    const validations = events.filter((event) => event.type === 'validation') as Array<{ status: string; round: number; errors: string[] }>;
    expect(validations.map((validation) => [validation.status, validation.round])).toEqual([['failed', 1], ['passed', 2]]);
    expect(validations[0]?.errors.join('\n')).toMatch(/src\/App\.tsx:\d+:\d+: Cannot resolve "\.\/Cart"/);
    expect(validations[0]?.errors.join('\n')).toContain('"canvas-confetti" is not listed in package.json dependencies');
    // The fix request carried the errors to the model.
    const fixRequest = JSON.stringify(fake.requests[5]?.body.messages);
    expect(fixRequest).toContain('Validation round 1 of 3');
    expect(fixRequest).toContain('Cannot resolve');
    const result = resultOf(events);
    expect(result).toMatchObject({ validationStatus: 'passed', commitMessage: 'Add a cart with confetti' });
    expect(result?.changes.map((change) => change.path)).toEqual(['package.json', 'src/App.tsx', 'src/Cart.tsx']);
  });

  it('records a failed validation when the fix rounds run out', async () => {
    fake.enqueue(
      ...intentAndPlan('edit'),
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/App.tsx', content: 'export function App( {' } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Break it', summary: 'Changed App.' } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Still broken', summary: 'Tried.' } }] },
    );
    const { events, error } = await collect(agentFor(fake, { maxFixRounds: 1 }).run(runContext({ files: reactApp(), message: 'Change App' })));
    expect(error).toBeNull();
    expect(events.filter((event) => event.type === 'validation').map((event) => (event as { status: string }).status)).toEqual(['failed', 'failed']);
    expect(resultOf(events)).toMatchObject({ validationStatus: 'failed', commitMessage: 'Still broken' });
    expect(resultOf(events)?.summary).toContain('still does not build');
  });

  it('stops the model stream at once when the signal aborts', async () => {
    const controller = new AbortController();
    fake.enqueue(...intentAndPlan('edit'), { text: 'word '.repeat(400), chunkDelayMs: 20 });
    const started = fake.nextStreamStarted();
    const running = collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'Explain and change', signal: controller.signal })));
    // The third request is the tool loop's; wait until its stream is flowing.
    await started;
    await vi_waitFor(() => fake.requests.length === 3 && (fake.requests[2]?.chunksSent ?? 0) > 2);
    controller.abort();
    const { events, error } = await running;
    expect(error).toBeInstanceOf(CancelledError);
    expect(events.some((event) => event.type === 'text_delta')).toBe(true);
    expect(events.some((event) => event.type === 'result')).toBe(false);
    await vi_waitFor(() => fake.requests[2]?.clientAborted === true);
    expect(fake.requests[2]?.chunksSent).toBeLessThan(100);
    expect(fake.requests).toHaveLength(3);
  });

  it('stops before exceeding the step limit', async () => {
    fake.enqueue(...intentAndPlan('edit'), ...Array.from({ length: 2 }, () => ({ toolCalls: [{ name: 'list_files', arguments: {} }] })));
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'Loop forever', budget: { maxSteps: 4 } })));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).budget).toBe('job_steps');
    expect(modelSteps(events)).toHaveLength(4);
    // The fifth call was never made.
    expect(fake.requests).toHaveLength(4);
  });
});

describe('codegen agent resilience', () => {
  it('retries a 429 with a retry hint, then succeeds', async () => {
    fake.enqueue({ kind: 'error', status: 429, retryAfterMs: '5' }, { text: 'question' }, { text: 'It renders a heading.' });
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'What does App do?' })));
    expect(error).toBeNull();
    expect(fake.requests).toHaveLength(3);
    expect(events.filter((event) => event.type === 'log').map((event) => (event as { message: string }).message).join('\n')).toMatch(/429.*retry 1 of 3 in 5 ms/s);
    expect(resultOf(events)).toMatchObject({ changes: [], commitMessage: 'No code changes', summary: 'It renders a heading.', validationStatus: 'not_run', validationCheck: null });
  });

  it('retries a 500, then succeeds', async () => {
    fake.enqueue({ text: 'question' }, { kind: 'error', status: 500 }, { text: 'Fine.' });
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'Is it fine?' })));
    expect(error).toBeNull();
    expect(resultOf(events)?.summary).toBe('Fine.');
    expect(modelSteps(events)).toHaveLength(2);
    // The failed try is a step too, marked failed.
    expect(modelSteps(events, 'failed')).toEqual([expect.objectContaining({ name: 'answer', status: 'failed', error: expect.stringMatching(/500/) })]);
  });

  it('retries a stream dropped mid-way and keeps one usage event per completed call', async () => {
    fake.enqueue({ text: 'question' }, { text: 'A partial answer that will be cut off', dropAfterChunks: 3 }, { text: 'The full answer.' });
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'Tell me' })));
    expect(error).toBeNull();
    expect(events.some((event) => event.type === 'log' && /dropped the stream|ended before/.test((event as { message: string }).message))).toBe(true);
    expect(resultOf(events)?.summary).toBe('The full answer.');
    expect(modelSteps(events)).toHaveLength(2);
    // The cut-off text is closed by a failed step, so joining the log keeps only the full answer.
    expect(joinJobText(events.map((data) => ({ attempt: 1, data: data as JobEventData })))).toBe('The full answer.');
  });

  it('gives up after maxRetries with a retryable ProviderError', async () => {
    fake.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 503 })));
    const { error } = await collect(agentFor(fake, { retry: { maxRetries: 2, baseDelayMs: 1 } }).run(runContext({ message: 'hi' })));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 503, isRetryable: true, code: 'PROVIDER_ERROR' });
  });

  it('fails without retrying on 401 and does not leak the key', async () => {
    const agent = agentFor(fake);
    const wrong = await import('openai').then(({ default: OpenAI }) => new OpenAI({ apiKey: 'sk-wrong-secret-key-123456', baseURL: fake.baseURL, maxRetries: 0 }));
    const { createCodegenAgent } = await import('../src/index.js');
    const { error } = await collect(createCodegenAgent({ client: wrong }).run(runContext({ message: 'hi' })));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 401, isRetryable: false });
    expect(JSON.stringify((error as ProviderError).toJSON())).not.toContain('wrong-secret');
    expect(fake.requests).toHaveLength(1);
    expect(agent.type).toBe('codegen');
  });

  it('answers a malformed tool call and a non-matching edit block with errors the model can act on', async () => {
    fake.enqueue(
      ...intentAndPlan('edit'),
      { toolCalls: [{ name: 'write_file', arguments: '{"path": "src/App.tsx", "content": "unterminated' }, { name: 'launch_rockets', arguments: {} }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '  return <h1>Nope</h1>;', replace: 'x' }] } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '<h1>Hello</h1>', replace: '<h1>Hi</h1>' }] } }] },
      { text: 'Changed the greeting.' },
    );
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'Say hi' })));
    expect(error).toBeNull();
    const results = events.filter((event) => event.type === 'tool_result') as Array<{ ok: boolean; output: string }>;
    expect(results.map((result) => result.ok)).toEqual([false, false, false, true]);
    expect(results[0]?.output).toContain('not valid JSON');
    expect(results[1]?.output).toContain('Unknown tool "launch_rockets"');
    expect(results[2]?.output).toContain('search text was not found in src/App.tsx');
    const toolMessages = (fake.requests[3]?.body.messages as Array<{ role: string; content: string }>).filter((message) => message.role === 'tool');
    expect(toolMessages.map((message) => message.content.slice(0, 6))).toEqual(['Error:', 'Error:']);
    expect(resultOf(events)).toMatchObject({ summary: 'Changed the greeting.', validationStatus: 'passed' });
    expect(resultOf(events)?.changes).toHaveLength(1);
  });

  it('uses session model settings and refuses a session baseUrl (or the deprecated baseURL) that is not allowed', async () => {
    fake.enqueue({ text: 'question' }, { text: 'Yes.' });
    const { error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'ok?', settings: { model: 'session-model' } })));
    expect(error).toBeNull();
    expect(fake.requests.map((request) => request.body.model)).toEqual(['session-model', 'session-model']);
    const refused = await collect(agentFor(fake).run(runContext({ message: 'hi', settings: { baseUrl: 'https://evil.example/v1' } })));
    expect(refused.error).toBeInstanceOf(ValidationError);
    const refusedOld = await collect(agentFor(fake).run(runContext({ message: 'hi', settings: { baseURL: 'https://evil.example/v1' } })));
    expect(refusedOld.error).toMatchObject({ issues: [{ path: ['settings', 'baseURL'] }] });
    expect(fake.requests).toHaveLength(2);
  });

  it('accepts the deprecated baseURL and allowedBaseURLs options as baseUrl and allowedBaseUrls', () => {
    const resolved = resolveCodegenAgentOptions({ apiKey: 'k', baseURL: 'https://old.example/v1', allowedBaseURLs: ['https://old.example/v1'] }, {});
    expect(resolved).toMatchObject({ baseUrl: 'https://old.example/v1', allowedBaseUrls: ['https://old.example/v1'] });
    expect(resolveCodegenAgentOptions({ apiKey: 'k', baseUrl: 'https://new.example/v1', baseURL: 'https://old.example/v1' }, {}).baseUrl).toBe('https://new.example/v1');
  });

  it('falls back to the environment names vector-server reads, older aliases included, refusing an alias that disagrees', () => {
    expect(resolveCodegenAgentOptions({ apiKey: 'k' }, {})).toMatchObject({ model: defaultCodegenModel, intentModel: defaultCodegenModel, baseUrl: undefined });
    expect(defaultModelBaseUrl).toBe('https://api.openai.com/v1');
    expect(resolveCodegenAgentOptions({}, { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://localhost:11434/v1', VECTOR_MODEL: 'qwen3' })).toMatchObject({ apiKey: 'sk-env', baseUrl: 'http://localhost:11434/v1', model: 'qwen3', intentModel: 'qwen3' });
    expect(resolveCodegenAgentOptions({ apiKey: 'k' }, { VECTOR_MODEL_BASE_URL: 'https://old.example/v1', VECTOR_AGENT_MODEL: 'old-model' })).toMatchObject({ baseUrl: 'https://old.example/v1', model: 'old-model' });
    // Both names with one value is fine; two values are refused, naming both variables.
    expect(resolveCodegenAgentOptions({ apiKey: 'k' }, { VECTOR_MODEL: 'm', VECTOR_AGENT_MODEL: 'm' }).model).toBe('m');
    expect(() => resolveCodegenAgentOptions({ apiKey: 'k' }, { VECTOR_MODEL: 'new', VECTOR_AGENT_MODEL: 'old' })).toThrow(/VECTOR_MODEL and VECTOR_AGENT_MODEL .* set only VECTOR_MODEL/);
    expect(() => resolveCodegenAgentOptions({ apiKey: 'k' }, { OPENAI_BASE_URL: 'https://a.example/v1', VECTOR_MODEL_BASE_URL: 'https://b.example/v1' })).toThrow(ValidationError);
    // Explicit options win, and then the environment is not consulted at all.
    expect(resolveCodegenAgentOptions({ apiKey: 'k', model: 'given', baseUrl: 'https://given.example/v1' }, { VECTOR_MODEL: 'new', VECTOR_AGENT_MODEL: 'old', OPENAI_BASE_URL: 'https://a.example/v1', VECTOR_MODEL_BASE_URL: 'https://b.example/v1' })).toMatchObject({ model: 'given', baseUrl: 'https://given.example/v1' });
  });

  it('uses an overridden prompt', async () => {
    fake.enqueue({ text: 'question' }, { text: 'ok' });
    await collect(agentFor(fake, { prompts: { answer: 'CUSTOM ANSWER PROMPT' } }).run(runContext({ files: reactApp(), message: 'why?' })));
    expect((fake.requests[1]?.body.messages as Array<{ content: string }>)[0]?.content).toBe('CUSTOM ANSWER PROMPT');
  });
});

async function vi_waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

