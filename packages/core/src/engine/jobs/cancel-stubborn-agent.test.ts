import { expect, it } from 'vitest';
import { defineAgent } from '../../plugins/define-plugins.js';
import type { AgentEvent } from '../../schemas/agent-event.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';

/** How long the engine waits for an agent that does not stop when cancelled. */
const jobCancelGraceMs = 100;
/** Time the engine may take beyond the grace to record the cancellation; far more than it needs. */
const slackMs = 10_000;

function deferred() {
  let resolve = () => undefined as void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const result: AgentEvent = { type: 'result', changes: [{ type: 'write', path: 'late.txt', content: 'too late' }], commitMessage: 'late', summary: 'late', validationStatus: 'not_run' };

/**
 * Agents that never look at their AbortSignal (unlike the scripted agent, which honours it).
 * `stalling` works a little, then hangs until `release()` (an unanswered model call), then
 * yields a result. `chattering` yields a log line every few milliseconds until `release()`,
 * then a result. `finished` resolves once an agent's generator has ended, however it ended.
 */
function createStubbornAgents() {
  const state = { busy: deferred(), release: deferred(), finished: deferred(), resultsYielded: 0 };
  const agent = (type: string, work: () => AsyncGenerator<AgentEvent>) =>
    defineAgent({
      specificationVersion: 'v1',
      type,
      capabilities: { streaming: false, editsCode: true },
      run: () => work(),
    });
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
  return {
    state,
    agents: [
      agent('stalling', async function* () {
        try {
          yield { type: 'intent', intent: 'edit' };
          for (let index = 0; index < 3; index += 1) {
            await pause();
            yield { type: 'log', level: 'info', message: `working ${index}` };
          }
          state.busy.resolve();
          await state.release.promise;
          state.resultsYielded += 1;
          yield result;
        } finally {
          state.finished.resolve();
        }
      }),
      agent('chattering', async function* () {
        try {
          yield { type: 'intent', intent: 'edit' };
          let released = false;
          void state.release.promise.then(() => (released = true));
          for (let index = 0; !released; index += 1) {
            if (index === 3) state.busy.resolve();
            await pause();
            yield { type: 'log', level: 'info', message: `still working ${index}` };
          }
          state.resultsYielded += 1;
          yield result;
        } finally {
          state.finished.resolve();
        }
      }),
    ],
  };
}

describeEachDatabase('cancelling a job whose agent ignores its signal', (database) => {
  let stubborn: ReturnType<typeof createStubbornAgents>;
  const engine = useEngine(database, {
    agents: () => {
      stubborn = createStubbornAgents();
      return stubborn.agents;
    },
    overrides: { jobCancelGraceMs },
  });

  /** Starts a job of `agentType` on a project with one version and waits until its agent is busy. */
  async function busyJob(agentType: string) {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Stubborn' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    const session = await scope.agent.createSession({ projectId: project.id, agentType });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'work' });
    await stubborn.state.busy.promise;
    return { project, v1, job };
  }

  // The stalled agent still yields its result once released, to a runner that has stopped listening;
  // the chattering one is stopped at its next event and never gets that far.
  for (const [agentType, lateResults] of [['stalling', 1], ['chattering', 0]] as const) {
    it(`ends the job cancelled within the grace period and never saves the ${agentType} agent's result`, async () => {
      const { scope, vector } = engine();
      const { project, v1, job } = await busyJob(agentType);
      try {
        await scope.agent.cancelJob(job.id);
        const finished = await scope.agent.waitForJob(job.id, { timeoutMs: jobCancelGraceMs + slackMs });
        expect(finished.status).toBe('cancelled');
      } finally {
        // Only now does the agent go on: a stalled one yields its result to nobody.
        stubborn.state.release.resolve();
      }
      await stubborn.state.finished.promise;
      expect(stubborn.state.resultsYielded).toBe(lateResults);
      // Stopping waits for every running job's runner, so nothing can still be saving the result.
      await vector.stop();
      expect((await scope.projects.get(project.id)).currentVersionId).toBe(v1.id);
      const versions = (await scope.versions.list(project.id)).items;
      expect(versions.map((version) => version.id)).toEqual([v1.id]);
      expect(versions.filter((version) => version.jobId === job.id)).toEqual([]);
      const events = (await scope.agent.listJobEvents(job.id)).map((event) => event.data.type);
      expect(events).not.toContain('result');
      expect(events.at(-1)).toBe('cancelled');
      expect((await scope.agent.getJob(job.id)).status).toBe('cancelled');
    });
  }
});
