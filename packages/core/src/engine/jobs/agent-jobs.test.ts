import { expect, it } from 'vitest';
import { decodeText } from '../../files/content.js';
import type { AgentEvent } from '../../schemas/agent-event.js';
import type { AgentRunContext } from '../../plugins/agent.js';
import { createScriptedAgent } from '../../reference/index.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

const usage = (tokens: number): AgentEvent => ({ type: 'usage', model: 'test', usage: { promptTokens: tokens, completionTokens: tokens, totalTokens: tokens * 2 } });

// A controllable agent: writes `answer.txt` with the message, optionally waiting on a gate.
function gatedAgent(gate: { wait: Promise<void> | null; started?: () => void }) {
  return createScriptedAgent({
    type: 'gated',
    script: async function* (context: AgentRunContext): AsyncIterable<AgentEvent> {
      yield { type: 'intent', intent: 'edit' };
      yield { type: 'plan', steps: ['read', 'write'] };
      yield usage(10);
      gate.started?.();
      if (gate.wait) {
        await Promise.race([
          gate.wait,
          new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
        ]);
      }
      const existing = await context.files.readText('src/main.js');
      yield { type: 'tool_call', callId: 'c1', name: 'write_file', arguments: { path: 'answer.txt' } };
      yield { type: 'tool_result', callId: 'c1', ok: true, output: 'written' };
      yield { type: 'file_changed', path: 'answer.txt', change: 'created' };
      yield usage(5);
      yield {
        type: 'result',
        changes: [{ type: 'write', path: 'answer.txt', content: `${context.message.content}\n${existing ?? ''}` }],
        commitMessage: 'Add answer',
        summary: 'I added answer.txt',
        validationStatus: 'passed',
      };
    },
  });
}

// Writes `out.txt` and reports the validation the message asks for: `<status> <check>`.
function checkedAgent() {
  return createScriptedAgent({
    type: 'checked',
    script: async function* (context: AgentRunContext): AsyncIterable<AgentEvent> {
      const [status, check] = context.message.content.split(' ') as ['passed' | 'failed' | 'not_run', 'bundle' | 'build'];
      yield usage(1);
      if (status !== 'not_run') yield { type: 'validation', status, round: 1, errors: status === 'failed' ? ['src/main.ts:1:1: broken'] : [], check };
      yield { type: 'result', changes: [{ type: 'write', path: 'out.txt', content: context.message.content }], commitMessage: context.message.content, summary: 'done', validationStatus: status, validationCheck: check };
    },
  });
}

describeEachDatabase('agent jobs', (database) => {
  const gate: { wait: Promise<void> | null; started?: () => void } = { wait: null };

  // Holds the gated agent mid-job until `release()`; `running` resolves once it is there.
  function closeGate(): { running: Promise<void>; release: () => void } {
    let release = () => undefined as void;
    const running = new Promise<void>((resolve) => {
      gate.started = resolve;
    });
    gate.wait = new Promise<void>((resolve) => {
      release = resolve;
    });
    return { running, release };
  }
  const engine = useEngine(database, {
    agents: () => [
      gatedAgent(gate),
      createScriptedAgent({ type: 'chatty', script: async function* () { for (let step = 0; step < 10; step += 1) yield usage(1); } }),
      createScriptedAgent({ type: 'broken', script: async function* () { yield { type: 'intent', intent: 'edit' }; throw new Error('model exploded'); } }),
      createScriptedAgent({ type: 'silent', script: async function* () { yield { type: 'intent', intent: 'question' }; } }),
      checkedAgent(),
      createScriptedAgent({
        type: 'firehose',
        script: async function* () {
          for (let index = 0; index < 1_200; index += 1) yield { type: 'log', level: 'info', message: `line ${index}` };
          yield { type: 'result', changes: [], commitMessage: 'quiet', summary: 'done', validationStatus: 'not_run' };
        },
      }),
    ],
  });

  async function projectWithVersion() {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'App' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    return { project, version };
  }

  /** Posts `content` to the gated agent in a new project, and waits until the agent is running, held at its gate. */
  async function runningGatedJob(content: string) {
    const { running, release } = closeGate();
    const { scope } = engine();
    const { project, version } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'gated' });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content });
    await running;
    return { project, version, job, release };
  }

  it('keeps up with an agent that never pauses: every event committed, numbered without gaps, announced in order, before the job ends', async () => {
    const { scope, vector } = engine();
    const { project } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'firehose' });
    const live: number[] = [];
    vector.events.on('job.event', (payload) => live.push(payload.event.sequence));
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go' });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('complete');
    const events = await scope.agent.listJobEvents(job.id, { limit: 10_000 });
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    const lines = events.flatMap((event) => (event.data.type === 'log' ? [event.data.message] : []));
    expect(lines).toEqual(Array.from({ length: 1_200 }, (_, index) => `line ${index}`));
    expect(events.at(-1)?.data.type).toBe('done');
    const ofThisJob = live.filter((sequence) => sequence > 1);
    expect(ofThisJob).toEqual([...ofThisJob].sort((a, b) => a - b));
  });

  it('runs a job to a new ai_generation version, persisting every event in order', async () => {
    gate.wait = null;
    const { scope } = engine();
    const { project, version } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'gated', title: 'Build' });
    const live: number[] = [];
    engine().vector.events.on('job.event', (payload) => live.push(payload.event.sequence));
    const { message, job } = await scope.agent.postMessage({ sessionId: session.id, content: 'hello' });
    expect(job).toMatchObject({ status: 'queued', baseVersionId: version.id, messageId: message.id });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: 'complete', jobType: 'edit', steps: 2, usage: { promptTokens: 15, completionTokens: 15, totalTokens: 30 }, plan: ['read', 'write'] });
    expect(job.jobType).toBeNull();
    const result = await scope.versions.get(done.resultVersionId as string);
    expect(result).toMatchObject({ number: 2, parentId: version.id, source: 'ai_generation', jobId: job.id, validationStatus: 'passed', message: 'Add answer' });
    expect(decodeText((await scope.versions.getFile(result.id, 'answer.txt')).content)).toBe('hello\nconsole.log("v1");\n');
    const events = await scope.agent.listJobEvents(job.id);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.data.type)).toEqual(['status', 'status', 'intent', 'plan', 'usage', 'tool_call', 'tool_result', 'file_changed', 'usage', 'result', 'done']);
    expect(events.at(-1)?.data).toMatchObject({ type: 'done', versionId: result.id });
    // A client that dropped its stream after event 4 replays exactly the rest.
    expect((await scope.agent.listJobEvents(job.id, { afterSequence: 4 })).map((event) => event.sequence)).toEqual(events.slice(4).map((event) => event.sequence));
    expect(live).toEqual(events.map((event) => event.sequence));
    const messages = (await scope.agent.listMessages(session.id)).items;
    expect(messages.map((entry) => [entry.role, entry.content])).toEqual([
      ['user', 'hello'],
      ['assistant', 'I added answer.txt'],
    ]);
    expect(messages[1]?.versionId).toBe(result.id);
  });

  it('records which check validated agent output and whether the agent completed it', async () => {
    const { scope } = engine();
    const { project, version } = await projectWithVersion();
    expect(version).toMatchObject({ validationStatus: 'not_run', validationCheck: null, generationStatus: 'not_applicable' });
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'checked' });
    const saved = [];
    for (const content of ['passed build', 'failed build', 'passed bundle', 'not_run build']) {
      const { job } = await scope.agent.postMessage({ sessionId: session.id, content });
      const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      expect(done.status).toBe('complete');
      const stored = await scope.versions.get(done.resultVersionId as string);
      const events = await scope.agent.listJobEvents(job.id);
      expect(events.find((event) => event.data.type === 'result')?.data).toMatchObject({ validationStatus: stored.validationStatus, validationCheck: stored.validationCheck });
      saved.push(stored);
    }
    expect(saved.map((entry) => [entry.validationStatus, entry.validationCheck, entry.generationStatus])).toEqual([
      ['passed', 'build', 'completed'],
      ['failed', 'build', 'incomplete'],
      ['passed', 'bundle', 'completed'],
      // A check that did not run produced nothing.
      ['not_run', null, 'completed'],
    ]);
    // The check events carry the check too.
    const failedJob = (await scope.versions.get(saved[1]?.id as string)).jobId as string;
    expect((await scope.agent.listJobEvents(failedJob)).find((event) => event.data.type === 'validation')?.data).toMatchObject({ status: 'failed', check: 'build' });
    // A rollback restores the same files, so it keeps their validation, but no agent wrote it.
    const rolledBack = await scope.versions.rollback({ projectId: project.id, targetVersionId: saved[1]?.id as string });
    expect(rolledBack).toMatchObject({ source: 'rollback', validationStatus: 'failed', validationCheck: 'build', generationStatus: 'not_applicable' });
    expect(await scope.versions.get(rolledBack.id)).toEqual(rolledBack);
  });

  it('cancels a running job, stopping the agent and saving nothing', async () => {
    const { scope } = engine();
    const { project, version, job, release } = await runningGatedJob('slow');
    await scope.agent.cancelJob(job.id);
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    release();
    expect(finished.status).toBe('cancelled');
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(version.id);
    expect((await scope.agent.listJobEvents(job.id)).at(-1)?.data.type).toBe('cancelled');
    gate.wait = null;
  });

  it('cancels a queued job before it starts', async () => {
    const { scope, vector } = engine();
    await vector.stop();
    const { project } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'gated' });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'never' });
    const cancelled = await scope.agent.cancelJob(job.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await scope.agent.listJobEvents(job.id)).map((event) => event.data.type)).toEqual(['status', 'cancelled']);
  });

  it('fails a job that exceeds its step budget', async () => {
    const { scope } = engine();
    const { project } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'chatty' });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go', budget: { maxSteps: 3 } });
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(finished.status).toBe('failed');
    expect(finished.error?.code).toBe('BUDGET_EXCEEDED');
    expect(finished.steps).toBe(4);
  });

  it('fails a job whose agent throws or ends without a result', async () => {
    const { scope } = engine();
    const { project } = await projectWithVersion();
    for (const agentType of ['broken', 'silent']) {
      const session = await scope.agent.createSession({ projectId: project.id, agentType });
      const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go' });
      const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      expect(finished.status).toBe('failed');
      // The type comes from the intent, whatever the outcome: 'edit' and 'question' here.
      expect(finished.jobType).toBe(agentType === 'broken' ? 'edit' : 'question');
      expect((await scope.agent.listJobEvents(job.id)).at(-1)?.data).toMatchObject({ type: 'failed' });
    }
  });

  it('fails with a conflict when a manual edit lands while the agent works', async () => {
    const { scope } = engine();
    const { project, version, job, release } = await runningGatedJob('race');
    const manual = await scope.versions.create({ projectId: project.id, parentVersionId: version.id, changes: [{ type: 'write', path: 'manual.txt', content: 'me' }], message: 'manual' });
    release();
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(finished.status).toBe('failed');
    expect(finished.error?.code).toBe('CONFLICT');
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(manual.id);
    gate.wait = null;
  });

  it('hands a job interrupted by shutdown back to the queue and finishes it on restart', async () => {
    const { scope, vector } = engine();
    const { job, release } = await runningGatedJob('survive');
    await vector.stop();
    expect((await scope.agent.getJob(job.id)).status).toBe('queued');
    gate.wait = null;
    release();
    await vector.start();
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(finished).toMatchObject({ status: 'complete', attempts: 2 });
    const statuses = (await scope.agent.listJobEvents(job.id)).filter((event) => event.data.type === 'status').map((event) => event.data);
    expect(statuses).toEqual([
      { type: 'status', status: 'queued', attempt: 1 },
      { type: 'status', status: 'running', attempt: 1 },
      { type: 'status', status: 'queued', attempt: 2 },
      { type: 'status', status: 'running', attempt: 2, resumedSteps: 0 },
    ]);
  });

  it('recovers a job left running by a crashed worker', async () => {
    gate.wait = null;
    const { scope, vector } = engine();
    await vector.stop();
    const { project } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'gated' });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'crash' });
    // Simulate a worker that claimed the job and died: running, with a heartbeat long past.
    await vector.db.updateTable('vector_agent_jobs').set({ status: 'running', attempts: 1, worker_id: 'dead-worker', heartbeat_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', job.id).execute();
    await vector.start();
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(finished).toMatchObject({ status: 'complete', attempts: 2 });
  });

  it('treats the engine budget as a ceiling callers cannot raise', async () => {
    const { scope } = engine();
    const { project } = await projectWithVersion();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'chatty' });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go', budget: { maxSteps: 1000, maxTokens: 100_000_000 } });
    expect(job.budget).toEqual({ maxSteps: 50, maxTokens: 500_000, maxCostUsd: null });
  });
});
