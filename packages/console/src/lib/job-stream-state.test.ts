import { describe, expect, it } from 'vitest';
import { applyJobEvent, initialJobStreamState, isTerminal, type JobEvent, jobEventsUrl } from './job-stream-state.js';

const event = (sequence: number, data: JobEvent['data'], attempt = 1): JobEvent => ({ jobId: 'j1', sequence, attempt, data });
const fold = (events: JobEvent[]) => events.reduce(applyJobEvent, initialJobStreamState());

const job: JobEvent[] = [
  event(1, { type: 'status', status: 'running', attempt: 1 }),
  event(2, { type: 'text_delta', text: 'Hel' }),
  event(3, { type: 'text_delta', text: 'lo' }),
  event(4, { type: 'tool_call', callId: 'c1', name: 'write_file', arguments: { path: 'a.md' } }),
  event(5, { type: 'tool_result', callId: 'c1', ok: true, output: { bytes: 3 } }),
  event(6, { type: 'file_changed', path: 'a.md', change: 'created' }),
  event(7, { type: 'validation', status: 'passed', round: 1, errors: [] }),
  event(8, { type: 'step', index: 1, kind: 'model', name: 'change', model: 'm', status: 'succeeded', usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 }, costUsd: 0.002, durationMs: 30 }),
  event(9, { type: 'result', changedPaths: ['a.md'], commitMessage: 'c', summary: 'Saved.', validationStatus: 'passed' }),
  event(10, { type: 'done', versionId: 'v2', messageId: 'm1', usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 }, steps: 1 }),
];

describe('applyJobEvent', () => {
  it('folds a whole job: text, tool calls, files, validation, steps, tokens and cost', () => {
    const state = fold(job);
    expect(state).toMatchObject({
      lastSequence: 10,
      status: 'done',
      text: 'Hello',
      toolCalls: [{ callId: 'c1', name: 'write_file', ok: true, output: { bytes: 3 } }],
      files: [{ path: 'a.md', change: 'created' }],
      validation: { status: 'passed', round: 1, errors: [] },
      steps: [{ index: 1, kind: 'model', costUsd: 0.002 }],
      tokens: { prompt: 10, completion: 5, total: 15 },
      costUsd: 0.002,
      summary: 'Saved.',
      versionId: 'v2',
      duplicates: 0,
    });
    expect(isTerminal(state)).toBe(true);
  });

  it('ignores events it already has, so a resumed stream that overlaps repeats no text', () => {
    const firstConnection = job.slice(0, 3);
    // The reconnect replays from an older Last-Event-ID (2) than the page holds (3).
    const resumed = job.slice(1);
    const state = fold([...firstConnection, ...resumed]);
    expect(state.text).toBe('Hello');
    expect(state.toolCalls).toHaveLength(1);
    expect(state.duplicates).toBe(2);
    expect(state).toEqual({ ...fold(job), duplicates: 2 });
  });

  it('joins text as core’s joinJobText does: a call cut off by a new attempt, or failed, shows no text', () => {
    const events = [
      event(1, { type: 'status', status: 'running', attempt: 1 }),
      event(2, { type: 'text_delta', text: 'Planning. ' }),
      event(3, { type: 'step', index: 1, kind: 'model', name: 'plan', model: 'm', status: 'succeeded', costUsd: null, durationMs: 1 }),
      // The worker dies while the second call streams: this text is cut off…
      event(4, { type: 'text_delta', text: 'Writing the pa' }),
      // …and the next attempt makes that call again (the first one is replayed, not streamed).
      event(5, { type: 'status', status: 'running', attempt: 2, resumedSteps: 1 }, 2),
      event(6, { type: 'text_delta', text: 'Writing the page.' }, 2),
      event(7, { type: 'step', index: 2, kind: 'model', name: 'change', model: 'm', status: 'succeeded', costUsd: null, durationMs: 1 }, 2),
      // A retried call that failed streams text that does not count.
      event(8, { type: 'text_delta', text: 'garbled' }, 2),
      event(9, { type: 'step', index: 3, kind: 'model', name: 'fix', model: 'm', status: 'failed', costUsd: null, durationMs: 1 }, 2),
      event(10, { type: 'text_delta', text: ' Done' }, 2),
    ];
    // While it streams, the open tail shows.
    expect(fold(events.slice(0, 4)).text).toBe('Planning. Writing the pa');
    expect(fold(events).text).toBe('Planning. Writing the page. Done');
  });

  it('keeps a failed job’s error and a cancelled job’s reason', () => {
    expect(fold([event(1, { type: 'failed', error: { code: 'BUDGET_EXCEEDED', message: 'over budget' } })])).toMatchObject({ status: 'failed', error: { code: 'BUDGET_EXCEEDED' } });
    expect(fold([event(1, { type: 'cancelled', reason: 'by user' })])).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'by user' } });
  });

  it('sums usage events and adds up priced steps only', () => {
    const state = fold([
      event(1, { type: 'usage', usage: { promptTokens: 4, completionTokens: 1, totalTokens: 5 } }),
      event(2, { type: 'usage', usage: { promptTokens: 6, completionTokens: 2, totalTokens: 8 } }),
      event(3, { type: 'step', index: 1, kind: 'tool', name: 'x', model: null, status: 'succeeded', usage: null, costUsd: null, durationMs: 1 }),
    ]);
    expect(state.tokens).toEqual({ prompt: 10, completion: 3, total: 13 });
    expect(state.costUsd).toBeNull();
  });
});

describe('jobEventsUrl', () => {
  it('carries the stream token, and the last sequence once there is one', () => {
    expect(jobEventsUrl({ baseUrl: '', jobId: 'j 1', token: 'a.b+c', lastSequence: 0 })).toBe('/v1/jobs/j%201/events?access_token=a.b%2Bc');
    expect(jobEventsUrl({ baseUrl: 'http://x', jobId: 'j1', token: 't', lastSequence: 7 })).toBe('http://x/v1/jobs/j1/events?access_token=t&lastEventId=7');
  });
});
