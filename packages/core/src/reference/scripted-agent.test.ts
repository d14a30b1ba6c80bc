import { describe, expect, it } from 'vitest';
import { CancelledError } from '../errors/cancelled-error.js';
import { decodeText } from '../files/content.js';
import type { Agent } from '../plugins/agent.js';
import type { AgentEvent } from '../schemas/agent-event.js';
import { agentConformance } from '../testing/agent-conformance.js';
import { createAgentTestContext } from '../testing/agent-test-context.js';
import { createScriptedAgent } from './scripted-agent.js';

const endless = async function* (): AsyncGenerator<AgentEvent> {
  for (let step = 0; ; step += 1) yield { type: 'log', level: 'info', message: `step ${step}` };
};
const stuck = async function* (): AsyncGenerator<AgentEvent> {
  yield { type: 'intent', intent: 'edit' };
  await new Promise(() => undefined); // a model call that never answers and ignores the signal
  yield { type: 'result', changes: [], commitMessage: 'never', summary: 'never' };
};

agentConformance({
  name: 'scripted (default script, slow when long-running)',
  create: async (scenario) => ({ agent: scenario === 'complete' ? createScriptedAgent() : createScriptedAgent({ delayMs: 60_000 }) }),
});
agentConformance({
  name: 'scripted (endless script)',
  create: async (scenario) => ({ agent: scenario === 'complete' ? createScriptedAgent({ type: 'fast' }) : createScriptedAgent({ script: endless, delayMs: 1 }) }),
});
agentConformance({
  name: 'scripted (script stuck on a call that ignores the signal)',
  create: async (scenario) => ({ agent: createScriptedAgent(scenario === 'complete' ? {} : { script: stuck }), message: 'Write it down' }),
});

async function collect(agent: Agent, context = createAgentTestContext({ message: 'hello' })): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of agent.run(context)) events.push(event);
  return events;
}

describe('createScriptedAgent', () => {
  it('by default writes the message to the next free notes/<n>.md', async () => {
    const context = createAgentTestContext({ message: 'Remember the milk', files: [{ path: 'notes/1.md', content: 'one' }, { path: 'notes/3.md', content: 'three' }, { path: 'index.html', content: 'x' }] });
    const events = await collect(createScriptedAgent(), context);
    expect(events.map((event) => event.type)).toEqual(['intent', 'plan', 'tool_call', 'tool_result', 'usage', 'tool_call', 'tool_result', 'file_changed', 'result']);
    expect(events[3]).toMatchObject({ type: 'tool_result', ok: true, output: { count: 3 } });
    const result = events.at(-1);
    if (result?.type !== 'result') throw new Error('expected a result');
    expect(result.commitMessage).toBe('Add note 4');
    expect(result.changes).toEqual([{ type: 'write', path: 'notes/4.md', content: '# Note 4\n\nRemember the milk\n' }]);
    const usage = events.find((event) => event.type === 'usage');
    expect(usage?.type === 'usage' && usage.usage.totalTokens).toBe(usage?.type === 'usage' ? usage.usage.promptTokens + usage.usage.completionTokens : -1);
  });

  it('plays arrays, sync generators and async generators, and passes errors through', async () => {
    const log = (message: string): AgentEvent => ({ type: 'log', level: 'info', message });
    expect(await collect(createScriptedAgent({ script: () => [log('a'), log('b')] }))).toEqual([log('a'), log('b')]);
    expect(await collect(createScriptedAgent({ script: async () => [log('promised')] }))).toEqual([log('promised')]);
    expect(
      await collect(
        createScriptedAgent({
          script: function* (context) {
            yield log(context.message.content);
          },
        }),
      ),
    ).toEqual([log('hello')]);
    const broken = createScriptedAgent({
      script: async function* () {
        yield log('before');
        throw new Error('model exploded');
      },
    });
    await expect(collect(broken)).rejects.toThrow('model exploded');
  });

  it('waits delayMs between events and throws CancelledError when aborted mid-wait', async () => {
    const controller = new AbortController();
    const agent = createScriptedAgent({ delayMs: 60_000 });
    const iterator = agent.run(createAgentTestContext({ message: 'm', signal: controller.signal }))[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'intent' });
    const pending = iterator.next();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('reads files through the context, which reports binary files as non-text', async () => {
    const agent = createScriptedAgent({
      script: async function* (context) {
        const text = await context.files.readText('a.txt');
        const binary = await context.files.readText('b.bin');
        const missing = await context.files.read('missing.txt');
        yield { type: 'result', changes: [{ type: 'write', path: 'out.txt', content: `${text}|${binary}|${missing}` }], commitMessage: 'c', summary: 's' };
      },
    });
    const events = await collect(agent, createAgentTestContext({ message: 'm', files: [{ path: 'a.txt', content: 'text' }, { path: 'b.bin', content: new Uint8Array([0, 1]) }] }));
    expect(events[0]).toMatchObject({ changes: [{ content: 'text|null|null' }] });
    const context = createAgentTestContext({ message: 'm', files: [{ path: 'x.txt', content: 'é' }] });
    expect(await context.files.list()).toEqual([{ path: 'x.txt', size: 2, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(decodeText((await context.files.read('./x.txt')) ?? new Uint8Array())).toBe('é');
  });

  it('validates options', () => {
    expect(createScriptedAgent().type).toBe('scripted');
    expect(createScriptedAgent({ capabilities: { streaming: true } }).capabilities).toEqual({ streaming: true, editsCode: true });
    expect(() => createScriptedAgent({ delayMs: -1 })).toThrow(/delayMs/);
    expect(() => createScriptedAgent({ type: 'Not Valid' })).toThrow(/kebab-case/);
  });
});
