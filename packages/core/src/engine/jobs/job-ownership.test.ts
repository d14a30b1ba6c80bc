import { expect, it } from 'vitest';
import type { Agent, AgentRunContext } from '../../plugins/agent.js';
import { defineAgent } from '../../plugins/define-plugins.js';
import { createMemoryStorage, createScriptedAgent } from '../../reference/index.js';
import type { AgentEvent } from '../../schemas/agent-event.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import { sampleFiles } from '../../testing/engine-fixture.js';

const actor = { type: 'user' as const, id: 'u' };

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
    const connection = await database.create();
    let open = () => undefined as void;
    let reached = () => undefined as void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const storage = createMemoryStorage();
    // A never heart-beats during the test (a stalled process); B recovers its job.
    const a = createVector({ database: connection, storage: [storage], agents: [answer('A', { opened, reached })], jobHeartbeatMs: 600_000 });
    const b = createVector({ database: connection, storage: [storage], agents: [answer('B')], jobHeartbeatMs: 50 });
    try {
      await a.start();
      const organization = await a.organizations.create({ name: 'Acme' }, actor);
      const scopeA = a.scope({ organizationId: organization.id, actor });
      const project = await scopeA.projects.create({ name: 'App' });
      await scopeA.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
      const session = await scopeA.agent.createSession({ projectId: project.id });
      const { job } = await scopeA.agent.postMessage({ sessionId: session.id, content: 'go' });
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
      expect(events.at(-1)?.data.type).toBe('done');
      expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
      const versions = await scopeB.versions.list(project.id);
      expect(versions.items.map((version) => version.message)).toEqual(['by B', 'v1']);
    } finally {
      open();
      await a.dispose();
      await b.dispose();
      await connection.destroy();
    }
  });

  it('a stopping worker hands back a job whose agent ignores the abort, and another worker finishes it', async () => {
    const connection = await database.create();
    let reached = () => undefined as void;
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const storage = createMemoryStorage();
    const a = createVector({ database: connection, storage: [storage], agents: [answer('A', { opened: new Promise(() => undefined), reached })], jobHeartbeatMs: 50, jobCancelGraceMs: 100 });
    const b = createVector({ database: connection, storage: [storage], agents: [answer('B')], jobHeartbeatMs: 50 });
    try {
      await a.start();
      const organization = await a.organizations.create({ name: 'Acme' }, actor);
      const scopeA = a.scope({ organizationId: organization.id, actor });
      const project = await scopeA.projects.create({ name: 'App' });
      const session = await scopeA.agent.createSession({ projectId: project.id });
      const { job } = await scopeA.agent.postMessage({ sessionId: session.id, content: 'go' });
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
      await a.dispose();
      await b.dispose();
      await connection.destroy();
    }
  });

  it('cancels a job even when its agent ignores the abort signal', async () => {
    const connection = await database.create();
    let reached = () => undefined as void;
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
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
      await vector.start();
      const organization = await vector.organizations.create({ name: 'Acme' }, actor);
      const scope = vector.scope({ organizationId: organization.id, actor });
      const project = await scope.projects.create({ name: 'App' });
      const session = await scope.agent.createSession({ projectId: project.id });
      const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go' });
      await atGate;
      await scope.agent.cancelJob(job.id);
      expect((await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 })).status).toBe('cancelled');
    } finally {
      await vector.dispose();
      await connection.destroy();
    }
  });
});
