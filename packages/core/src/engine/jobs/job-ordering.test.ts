import { expect, it } from 'vitest';
import type { AgentRunContext } from '../../plugins/agent.js';
import { createScriptedAgent } from '../../reference/index.js';
import type { AgentEvent } from '../../schemas/agent-event.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createInProcessQueue } from './in-process-queue.js';
import type { JobQueue } from './job-queue.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    }, { once: true });
  });

// Which jobs were running at once, per project, as the agent saw it.
const running = new Map<string, number>();
let overlapSameProject = 0;
let overlapAcrossProjects = 0;

/** Appends the message to `log.txt` of the version it starts from, after a few model calls of `pace` ms each. */
function appendingAgent(pace: number, calls = 3) {
  return createScriptedAgent({
    script: async function* (context: AgentRunContext): AsyncIterable<AgentEvent> {
      const mine = (running.get(context.project.id) ?? 0) + 1;
      running.set(context.project.id, mine);
      if (mine > 1) overlapSameProject += 1;
      if ([...running.values()].filter((count) => count > 0).length > 1) overlapAcrossProjects += 1;
      try {
        for (let call = 0; call < calls; call += 1) {
          await sleep(pace, context.signal);
          yield { type: 'usage', model: 'test', usage: { promptTokens: 10, completionTokens: 10, totalTokens: 20 } };
        }
        const log = (await context.files.readText('log.txt')) ?? '';
        yield { type: 'result', changes: [{ type: 'write', path: 'log.txt', content: `${log}${context.message.content}\n` }], commitMessage: context.message.content, summary: 'appended', validationStatus: 'not_run' };
      } finally {
        running.set(context.project.id, (running.get(context.project.id) ?? 1) - 1);
      }
    },
  });
}

describeEachDatabase('a project’s jobs wait their turn', (database) => {
  const engine = useEngine(database, { agents: () => [appendingAgent(40)], overrides: { queue: createInProcessQueue({ concurrency: 4 }) } });

  it('runs five messages posted at once one after another, each on the version the previous one left', async () => {
    const { scope } = engine();
    overlapSameProject = 0;
    const project = await scope.projects.create({ name: 'Burst' });
    const first = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const posted = await Promise.all(['one', 'two', 'three', 'four', 'five'].map((content) => scope.agent.postMessage({ sessionId: session.id, content })));
    // Posted concurrently: their order is the order the database recorded them in.
    const finished = await Promise.all(posted.map(({ job }) => scope.agent.waitForJob(job.id, { timeoutMs: 30_000 })));
    const jobs = [...finished].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    expect(jobs.map((job) => [job.status, job.error?.code ?? null])).toEqual(Array.from({ length: 5 }, () => ['complete', null]));
    expect(overlapSameProject).toBe(0);
    // In posting order, each built on its predecessor's version.
    const versions = (await scope.versions.list(project.id)).items.reverse();
    expect(versions.map((version) => version.number)).toEqual([1, 2, 3, 4, 5, 6]);
    for (let index = 1; index < versions.length; index += 1) expect(versions[index]?.parentId).toBe(versions[index - 1]?.id);
    expect(jobs.map((job) => job.baseVersionId)).toEqual([first.id, ...versions.slice(1, 5).map((version) => version.id)]);
    expect(jobs.map((job) => job.resultVersionId)).toEqual(versions.slice(1).map((version) => version.id));
    const order = jobs.map((job) => posted.find((entry) => entry.job.id === job.id)?.message.content);
    const log = await scope.versions.getFile(versions.at(-1)?.id as string, 'log.txt');
    expect(Buffer.from(log.content).toString()).toBe(`${order.join('\n')}\n`);
  });

  it('still runs different projects’ jobs side by side', async () => {
    const { scope } = engine();
    overlapAcrossProjects = 0;
    const sessions = await Promise.all(['A', 'B'].map(async (name) => scope.agent.createSession({ projectId: (await scope.projects.create({ name })).id })));
    const posted = await Promise.all(sessions.map((session) => scope.agent.postMessage({ sessionId: session.id, content: 'go' })));
    for (const { job } of posted) expect((await scope.agent.waitForJob(job.id, { timeoutMs: 30_000 })).status).toBe('complete');
    expect(overlapAcrossProjects).toBeGreaterThan(0);
  });

  it('is not ended by a late event of a version it already builds on, as another process delivers it', async () => {
    const { scope, vector } = engine();
    const project = await scope.projects.create({ name: 'Late news' });
    const first = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const one = await scope.agent.postMessage({ sessionId: session.id, content: 'one' });
    const done = await scope.agent.waitForJob(one.job.id, { timeoutMs: 10_000 });
    const two = await scope.agent.postMessage({ sessionId: session.id, content: 'two' });
    for (let waited = 0; (await scope.agent.listSteps(two.job.id)).length < 1 && waited < 10_000; waited += 10) await sleep(10);
    // The predecessor's version (this job's base) and an older one, as an event bridge delivers them after the fact.
    for (const id of [done.resultVersionId as string, first.id]) {
      vector.events.emit('version.created', { organizationId: project.organizationId, projectId: project.id, version: await scope.versions.get(id) });
    }
    const finished = await scope.agent.waitForJob(two.job.id, { timeoutMs: 10_000 });
    expect([finished.status, finished.error?.code ?? null]).toEqual(['complete', null]);
    expect(finished.baseVersionId).toBe(done.resultVersionId);
  });

  it('ends a job whose project got a manual edit as a conflict at once, with no model call after it', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Edited' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'slow work' });
    // Let it make one model call, then edit by hand.
    for (let waited = 0; (await scope.agent.listSteps(job.id)).length < 1 && waited < 10_000; waited += 10) await sleep(10);
    const manual = await scope.versions.create({ projectId: project.id, parentVersionId: version.id, changes: [{ type: 'write', path: 'manual.txt', content: 'by hand' }], message: 'manual' });
    const stepsAtEdit = (await scope.agent.listSteps(job.id)).length;
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 10_000 });
    expect(finished.status).toBe('failed');
    expect(finished.error).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/got a new version while job/) });
    expect((await scope.agent.listSteps(job.id)).length).toBe(stepsAtEdit);
    expect(finished.steps).toBeLessThan(3);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(manual.id);
    // The next message works on the edited version.
    const next = await scope.agent.postMessage({ sessionId: session.id, content: 'again' });
    const done = await scope.agent.waitForJob(next.job.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'complete', baseVersionId: manual.id });
  });
});

describeEachDatabase('jobs nobody took', (database) => {
  // A queue that loses what it is given until told otherwise: a worker that died between taking a job and claiming it.
  let losing = true;
  const inner = createInProcessQueue();
  const lossy: JobQueue = { start: (handler) => inner.start(handler), stop: () => inner.stop(), enqueue: async (jobId) => (losing ? undefined : inner.enqueue(jobId)) };
  const engine = useEngine(database, { agents: () => [appendingAgent(1, 1)], overrides: { queue: lossy, jobStaleAfterMs: 1000 } });

  it('are enqueued again by the recovery sweep, and run', async () => {
    const { scope, vector, advanceClock } = engine();
    losing = true;
    const project = await scope.projects.create({ name: 'Lost' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'lost' });
    await sleep(100);
    expect((await scope.agent.getJob(job.id)).status).toBe('queued');
    losing = false;
    // Not yet stale: left alone.
    expect(await vector.recoverStaleJobs()).toBe(0);
    advanceClock(2000);
    expect(await vector.recoverStaleJobs()).toBe(1);
    expect((await scope.agent.waitForJob(job.id, { timeoutMs: 10_000 })).status).toBe('complete');
  });
});
