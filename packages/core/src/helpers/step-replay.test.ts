import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentJobEvent, JobEventData } from '../schemas/agent-event.js';
import type { RecordedStep } from '../schemas/agent-step.js';
import { joinJobText } from './join-job-text.js';
import { createStepReplay, digestStepInput } from './step-replay.js';

const recorded = (index: number, name: string, input: unknown): RecordedStep => ({
  index,
  kind: 'model',
  name,
  model: 'm',
  inputDigest: digestStepInput(input),
  output: { index },
  usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 1, totalTokens: 2 },
});

describe('digestStepInput', () => {
  it('is the same for equal JSON whatever the key order, and differs for any other value', () => {
    expect(digestStepInput({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(digestStepInput({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(digestStepInput({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digestStepInput({ a: 1 })).not.toBe(digestStepInput({ a: 2 }));
    expect(digestStepInput([1, 2])).not.toBe(digestStepInput([2, 1]));
    expect(digestStepInput('x')).not.toBe(digestStepInput(undefined));
  });

  it('is the SHA-256 of the JSON with sorted keys (digests are stored, so this text must not change), null and undefined included', () => {
    const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
    expect(digestStepInput({ zeta: 1, b: null, a: { y: [2, { d: 1, c: 0 }], x: 'v' }, B: true })).toBe(sha('{"B":true,"a":{"x":"v","y":[2,{"c":0,"d":1}]},"b":null,"zeta":1}'));
    expect(digestStepInput(null)).toBe(sha('null'));
    expect(digestStepInput(undefined)).toBe(sha('undefined'));
  });
});

describe('createStepReplay', () => {
  it('hands recorded steps back in order while the run retraces them, and stops at the first difference for good', () => {
    const replay = createStepReplay([recorded(1, 'intent', 'a'), recorded(2, 'plan', 'b'), recorded(3, 'change', 'c')]);
    expect(replay.active).toBe(true);
    expect(replay.take('model', 'intent', digestStepInput('a'))?.output).toEqual({ index: 1 });
    expect(replay.take('model', 'plan', digestStepInput('b'))?.output).toEqual({ index: 2 });
    // The run asks for something else: replay is over, even for a step that was recorded later.
    expect(replay.take('model', 'change', digestStepInput('different'))).toBeUndefined();
    expect(replay.take('model', 'change', digestStepInput('c'))).toBeUndefined();
    expect(replay).toMatchObject({ active: false, replayed: 2 });
  });

  it('matches kind and name as well as the digest, and has nothing to give on a first attempt', () => {
    const replay = createStepReplay([recorded(1, 'intent', 'a')]);
    expect(replay.take('tool', 'intent', digestStepInput('a'))).toBeUndefined();
    const named = createStepReplay([recorded(1, 'intent', 'a')]);
    expect(named.take('model', 'plan', digestStepInput('a'))).toBeUndefined();
    expect(named.replayed).toBe(0);
    expect(createStepReplay().take('model', 'intent', digestStepInput('a'))).toBeUndefined();
    expect(createStepReplay([]).active).toBe(false);
  });
});

describe('joinJobText', () => {
  const log = (entries: Array<[number, JobEventData]>): Array<Pick<AgentJobEvent, 'attempt' | 'data'>> => entries.map(([attempt, data]) => ({ attempt, data }));
  const delta = (text: string): JobEventData => ({ type: 'text_delta', text });
  const step = (status: 'succeeded' | 'failed'): JobEventData => ({ type: 'step', index: 1, kind: 'model', name: 'change', model: 'm', status, usage: null, costUsd: null, durationMs: 1 });

  it('keeps the text of calls that succeeded, drops a failed try’s and a cut-off attempt’s, and keeps the live tail', () => {
    const events = log([
      [1, delta('Hello ')],
      [1, delta('world. ')],
      [1, step('succeeded')],
      [1, delta('Partial an')],
      [1, step('failed')],
      [1, delta('Second ')],
      [1, delta('call, cut ')],
      // The worker died; attempt 2 makes the second call again.
      [2, { type: 'status', status: 'running', attempt: 2, resumedSteps: 1 }],
      [2, delta('Second call, whole. ')],
      [2, step('succeeded')],
      [2, delta('Still streaming')],
    ]);
    expect(joinJobText(events)).toBe('Hello world. Second call, whole. Still streaming');
  });

  it('closes calls reported with usage events too', () => {
    expect(joinJobText(log([[1, delta('a')], [1, { type: 'usage', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } }], [1, delta('b')]]))).toBe('ab');
  });
});
