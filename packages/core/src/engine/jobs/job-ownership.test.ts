import { expect, it } from 'vitest';
import type { Agent, AgentRunContext } from '../../plugins/agent.js';
import { defineAgent } from '../../plugins/define-plugins.js';
import { createMemoryStorage, createScriptedAgent } from '../../reference/index.js';
import type { AgentEvent } from '../../schemas/agent-event.js';
import { describeEachDatabase, type TestDatabase } from '../../testing/test-databases.js';
import { createVector, type VectorOptions } from '../create-vector.js';
import type { Vector } from '../vector-types.js';
import { sampleFiles } from '../../testing/engine-fixture.js';

const actor = { type: 'user' as const, id: 'u' };

/** A gate for an agent's run: the agent calls `reached` and waits for `opened`; the test awaits `atGate` and calls `open`. */
function newGate() {
  let open = () => undefined as void;
  let reached = () => undefined as void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const atGate = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return { open, opened, reached, atGate };
}

/** Engines A and B on one fresh database, sharing one storage; `dispose` disposes both, then the database. */
async function twoEngines(database: TestDatabase, a: Omit<VectorOptions, 'database' | 'storage'>, b: Omit<VectorOptions, 'database' | 'storage'>) {
  const connection = await database.create();
  const storage = createMemoryStorage();
  const engineA = createVector({ database: connection, storage: [storage], ...a });
  const engineB = createVector({ database: connection, storage: [storage], ...b });
  const dispose = async () => {
    await engineA.dispose();
    await engineB.dispose();
    await connection.destroy();
  };
  return { a: engineA, b: engineB, dispose };
}

/** Starts `vector` and posts a message to a new session of a new project (with `files` as version 1, if given) in a new organization. */
async function startAndPost(vector: Vector, files?: ReturnType<typeof sampleFiles>) {
  await vector.start();
  const organization = await vector.organizations.create({ name: 'Acme' }, actor);
  const scope = vector.scope({ organizationId: organization.id, actor });
  const project = await scope.projects.create({ name: 'App' });
  if (files) await scope.versions.create({ projectId: project.id, parentVersionId: null, files, message: 'v1' });
  const session = await scope.agent.createSession({ projectId: project.id });
  const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go' });
  return { organization, scope, project, job };
}

function answer(marker: string, gate?: { opened: Promise<void>; reached: () => void }) {
  return createScriptedAgent({
    type: 'worker',
    script: async function* (context: AgentRunContext): AsyncIterable<AgentEvent> {
      yield { type: 'log', level: 'info', message: `${marker} started` };
      if (gate) {
        gate.reached();
        await gate.opened;
      }
      yield { type: 'log', level: 'info', message: `${marker} finishing` };
      yield { type: 'result', changes: [{ type: 'write', path: 'by.txt', content: marker }], commitMessage: `by ${marker}`, summary: marker };
    },
  });
}

describeEachDatabase('job ownership', (database) => {
  it('a stalled worker whose job was taken over writes nothing more', async () => {
    const { open, opened, reached, atGate } = newGate();
    // A never heart-beats during the test (a stalled process); B recovers its job.
    const { a, b, dispose } = await twoEngines(database, { agents: [answer('A', { opened, reached })], jobHeartbeatMs: 600_000 }, { agents: [answer('B')], jobHeartbeatMs: 50 });
    try {
      const { organization, project, job } = await startAndPost(a, sampleFiles());
      await atGate;
      await a.db.updateTable('vector_agent_jobs').set({ heartbeat_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', job.id).execute();
      await b.start(); // recovers the stale job and runs it
      const scopeB = b.scope({ organizationId: organization.id, actor });
      const done = await scopeB.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      open(); // A wakes up and tries to carry on
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(done).toMatchObject({ status: 'complete', attempts: 2 });
      const events = await scopeB.agent.listJobEvents(job.id);
      const messages = events.flatMap((event) => (event.data.type === 'log' ? [event.data.message] : []));
      expect(messages).toEqual(['A started', 'B started', 'B finishing']);
      // Each event says which attempt wrote it; the second attempt starts with its own running event.
      const logs = events.flatMap((event) => (event.data.type === 'log' ? [[event.data.message, event.attempt]] : []));
      expect(logs).toEqual([['A started', 1], ['B started', 2], ['B finishing', 2]]);
      const secondStart = events.findIndex((event) => event.attempt === 2 && event.data.type === 'status' && event.data.status === 'running');
      expect(secondStart).toBeGreaterThan(events.findIndex((event) => event.data.type === 'log' && event.data.message === 'A started'));
      expect(events.slice(secondStart).every((event) => event.attempt === 2)).toBe(true);
      expect(events.at(-1)?.data.type).toBe('done');
      expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
      const versions = await scopeB.versions.list(project.id);
      expect(versions.items.map((version) => version.message)).toEqual(['by B', 'v1']);
    } finally {
      open();
      await dispose();
    }
  });

  it("on start, hands back at once a job whose worker's process is gone on SQLite; elsewhere it waits for the heartbeat to go stale", async () => {
    const { open, opened, reached, atGate } = newGate();
    const { a, b, dispose } = await twoEngines(database, { agents: [answer('A', { opened, reached })], jobHeartbeatMs: 600_000 }, { agents: [answer('B')], jobHeartbeatMs: 50, jobStaleAfterMs: 1_500, jobSweepIntervalMs: 100 });
    try {
      const { organization, job } = await startAndPost(a, sampleFiles());
      await atGate;
      // A's process is gone (a crash, kill -9): its row names a process that does not exist, and its heartbeat is fresh.
      const deadWorker = `${2 ** 31 - 2}-deadbeef`;
      await a.db.updateTable('vector_agent_jobs').set({ worker_id: deadWorker, heartbeat_at: new Date().toISOString() }).where('id', '=', job.id).execute();
      const startedAt = Date.now();
      await b.start();
      const scopeB = b.scope({ organizationId: organization.id, actor });
      const owner = async () => (await b.db.selectFrom('vector_agent_jobs').select('worker_id').where('id', '=', job.id).executeTakeFirstOrThrow()).worker_id;
      if (database.name === 'sqlite') {
        // Handed back by start itself, before any sweep could have run (B may already have claimed it again).
        expect(await owner()).not.toBe(deadWorker);
      } else {
        // Another machine's worker may still be alive: left to the heartbeat rule.
        expect(await owner()).toBe(deadWorker);
      }
      const done = await scopeB.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      expect(done).toMatchObject({ status: 'complete', attempts: 2 });
      if (database.name === 'postgres') expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    } finally {
      open();
      await dispose();
    }
  });

  it('a stopping worker hands back a job whose agent ignores the abort, and another worker finishes it', async () => {
    const { reached, atGate } = newGate();
    const { a, b, dispose } = await twoEngines(database, { agents: [answer('A', { opened: new Promise(() => undefined), reached })], jobHeartbeatMs: 50, jobCancelGraceMs: 100 }, { agents: [answer('B')], jobHeartbeatMs: 50 });
    try {
      const { organization, job } = await startAndPost(a);
      await atGate;
      // B starts while A holds the job, so B's start-up sweep does not see it queued.
      await b.start();
      // A stops; its agent ignores the abort, so A gives up on it after the grace period.
      await a.stop();
      expect((await a.scope({ organizationId: organization.id, actor }).agent.getJob(job.id)).status).toBe('queued');
      // In-process queues are per engine (a shared pg-boss queue would deliver it at once):
      // B finds the queued job on its next start.
      await b.stop();
      await b.start();
      const done = await b.scope({ organizationId: organization.id, actor }).agent.waitForJob(job.id, { timeoutMs: 20_000 });
      expect(done).toMatchObject({ status: 'complete', attempts: 2 });
    } finally {
      await dispose();
    }
  });

  it('cancels a job even when its agent ignores the abort signal', async () => {
    const connection = await database.create();
    const { reached, atGate } = newGate();
    // Not the scripted agent (which honours aborts by itself): a raw iterator that, after one
    // event, never answers again and never looks at the signal.
    const stuck: Agent = defineAgent({
      specificationVersion: 'v1',
      type: 'stuck',
      capabilities: { streaming: false, editsCode: false },
      run: () => {
        let sent = false;
        return {
          [Symbol.asyncIterator]: () => ({
            next: (): Promise<IteratorResult<AgentEvent>> => {
              if (sent) return new Promise(() => undefined);
              sent = true;
              reached();
              return Promise.resolve({ done: false, value: { type: 'log', level: 'info', message: 'working forever' } });
            },
          }),
        };
      },
    });
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], agents: [stuck], jobHeartbeatMs: 50, jobCancelGraceMs: 100 });
    try {
      const { scope, job } = await startAndPost(vector);
      await atGate;
      await scope.agent.cancelJob(job.id);
      expect((await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 })).status).toBe('cancelled');
    } finally {
      await vector.dispose();
      await connection.destroy();
    }
  });
});
