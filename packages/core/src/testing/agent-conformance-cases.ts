import { expect } from 'vitest';
import { isValidFilePath } from '../files/path-rules.js';
import type { Agent } from '../plugins/agent.js';
import { agentEventSchema, type AgentEvent } from '../schemas/agent-event.js';
import type { SourceFile } from '../schemas/source-file.js';
import { createAgentTestContext } from './agent-test-context.js';
import { withinTime, type ConformanceCase } from './conformance-suite.js';

/** `complete`: the agent runs to a result. `long-running`: it keeps going until cancelled. */
export type AgentScenario = 'complete' | 'long-running';

/** What each agent test receives: a way to create the agent for a scenario. */
export interface AgentSubject {
  stopTimeoutMs: number;
  start(scenario: AgentScenario): Promise<{ agent: Agent; message?: string; files?: SourceFile[] }>;
}

const defaultMessage = 'Add a short note that says hello to the team.';
const defaultFiles = [
  { path: 'index.html', content: '<!doctype html>\n<h1>Hello</h1>\n<script type="module" src="src/main.js"></script>\n' },
  { path: 'src/main.js', content: 'console.log("hello");\n' },
  { path: 'package.json', content: '{ "name": "app", "private": true }\n' },
];

/** Runs the `complete` scenario to the end and returns every event. */
async function runToEnd(subject: AgentSubject): Promise<{ agent: Agent; events: AgentEvent[] }> {
  const { agent, message, files } = await subject.start('complete');
  const context = createAgentTestContext({ message: message ?? defaultMessage, files: files ?? defaultFiles });
  const events: AgentEvent[] = [];
  for await (const event of agent.run(context)) events.push(event);
  return { agent, events };
}

function expectValidEvents(events: ReadonlyArray<AgentEvent>): void {
  events.forEach((event, index) => {
    const parsed = agentEventSchema.safeParse(event);
    expect(parsed.success, `event ${index} (${String((event as { type?: unknown }).type)}) is invalid: ${parsed.error?.message ?? ''}`).toBe(true);
  });
}

/** Consumes the rest of a run, failing if it does not end within `ms`. */
async function drain(iterator: AsyncIterator<AgentEvent>, ms: number, what: string): Promise<{ events: AgentEvent[]; threw: unknown }> {
  const events: AgentEvent[] = [];
  let threw: unknown = null;
  try {
    await withinTime(ms, `${what}: the run did not stop within ${ms} ms`, async () => {
      try {
        while (true) {
          const step = await iterator.next();
          if (step.done) return;
          events.push(step.value);
        }
      } catch (error) {
        threw = error ?? new Error('the run threw a nullish value');
      }
    });
  } catch (error) {
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
    throw error;
  }
  return { events, threw };
}

/** The agent conformance tests, in the order they are declared. */
export const agentConformanceCases: ReadonlyArray<ConformanceCase<AgentSubject>> = [
  {
    name: 'emits only events valid against agentEventSchema',
    async run(subject) {
      const { events } = await runToEnd(subject);
      expectValidEvents(events);
    },
  },
  {
    name: 'ends with exactly one result as the last event',
    async run(subject) {
      const { events } = await runToEnd(subject);
      expect(events.length).toBeGreaterThan(0);
      expect(events.filter((event) => event.type === 'result')).toHaveLength(1);
      expect(events.at(-1)?.type).toBe('result');
    },
  },
  {
    name: 'returns result changes with valid paths',
    async run(subject) {
      const { agent, events } = await runToEnd(subject);
      const result = events.at(-1);
      if (result?.type !== 'result') throw new Error(`the last event is ${String(result?.type)}, not result`);
      for (const change of result.changes) expect(isValidFilePath(change.path), `invalid path ${JSON.stringify(change.path)}`).toBe(true);
      if (!agent.capabilities.editsCode) expect(result.changes, 'an agent that does not edit code returns no changes').toEqual([]);
      for (const event of events) {
        if (event.type === 'file_changed') expect(isValidFilePath(event.path), `file_changed with invalid path ${JSON.stringify(event.path)}`).toBe(true);
      }
    },
  },
  {
    name: 'reports sane usage numbers',
    async run(subject) {
      const { events } = await runToEnd(subject);
      for (const event of events) {
        // Model calls are reported by `usage` events or by `step` events carrying usage.
        const usage = event.type === 'usage' || event.type === 'step' ? event.usage : undefined;
        if (usage === undefined) continue;
        for (const [key, value] of Object.entries(usage)) {
          expect(Number.isSafeInteger(value) && value >= 0, `usage.${key} = ${value} is not a non-negative integer`).toBe(true);
        }
      }
    },
  },
  {
    name: 'stops after abort without a result',
    async run(subject) {
      const { agent, message, files } = await subject.start('long-running');
      const controller = new AbortController();
      const context = createAgentTestContext({ message: message ?? defaultMessage, files: files ?? defaultFiles, signal: controller.signal });
      const iterator = agent.run(context)[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new Error('the long-running scenario ended without emitting any event');
      expect(first.value.type, 'the long-running scenario must not finish with its first event').not.toBe('result');
      controller.abort(new Error('cancelled by the conformance kit'));
      const rest = await drain(iterator, subject.stopTimeoutMs, 'after abort');
      expectValidEvents([first.value, ...rest.events]);
      expect(rest.events.filter((event) => event.type === 'result'), 'no result after abort').toEqual([]);
    },
  },
  {
    name: 'yields no result for an already-aborted signal',
    async run(subject) {
      const { agent, message, files } = await subject.start('complete');
      const controller = new AbortController();
      controller.abort(new Error('cancelled before the run started'));
      const context = createAgentTestContext({ message: message ?? defaultMessage, files: files ?? defaultFiles, signal: controller.signal });
      const outcome = await drain(agent.run(context)[Symbol.asyncIterator](), subject.stopTimeoutMs, 'with an aborted signal');
      expect(outcome.events.filter((event) => event.type === 'result'), 'no result for an aborted run').toEqual([]);
    },
  },
];
