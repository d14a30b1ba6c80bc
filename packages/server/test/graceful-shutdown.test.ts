import { createScriptedAgent, createStaticProvider, createVector, type Agent, type VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { createInternalStorage } from '@vector/storage-internal';
import { afterEach, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { bootstrapOrganization, sampleFiles } from './server-fixture.js';
import { readSse, type SseFrame } from './sse-client.js';

// An agent that starts, reports progress, then hangs until the engine interrupts it.
const stuckAgent = createScriptedAgent({
  script: async function* () {
    yield { type: 'intent', intent: 'edit', detail: 'about to hang' };
    yield { type: 'log', level: 'info', message: 'working' };
    await new Promise(() => undefined);
  },
});

describeEachDatabase('graceful shutdown', (database) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  // Code lives in the database too (internal storage), so it outlives the first engine.
  async function startServer(connection: VectorDatabaseConnection, agent: Agent) {
    const vector = createVector({ database: connection, storage: [createInternalStorage({ database: connection })], providers: [createStaticProvider()], agents: [agent], jobHeartbeatMs: 50 });
    const app = buildServer({ vector, rateLimit: false });
    await vector.start();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    let stopped = false;
    // The CLI's order: stop HTTP (readiness fails, SSE streams end), then the engine.
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await app.close();
      await vector.dispose();
    };
    cleanup.push(stop);
    return { app, vector, base, stop };
  }

  it('ends SSE streams cleanly, hands the running job back to the queue, and a new server finishes it', async () => {
    const connection = await database.create();
    cleanup.push(() => connection.destroy());
    const first = await startServer(connection, stuckAgent);
    const { key } = await bootstrapOrganization(first.app, 'Shutdown');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = async (base: string, path: string, body: unknown) => (await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json() as Promise<any>;
    const project = await post(first.base, '/v1/projects', { name: 'p' });
    await post(first.base, `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const session = await post(first.base, `/v1/projects/${project.id}/sessions`, {});
    const posted = await post(first.base, `/v1/sessions/${session.id}/messages`, { content: 'please hang' });
    const jobId = posted.job.id as string;

    // Attach a client and wait until the job is visibly mid-run.
    let sawProgress: () => void = () => undefined;
    const progressed = new Promise<void>((resolve) => {
      sawProgress = resolve;
    });
    const reading = readSse(`${first.base}/v1/jobs/${jobId}/events`, {
      headers: { authorization: headers.authorization },
      until: (frame: SseFrame) => {
        if (frame.event === 'log') sawProgress();
        return false;
      },
    });
    await progressed;
    const running = (await (await fetch(`${first.base}/v1/jobs/${jobId}`, { headers })).json()) as { status: string };
    expect(running.status).toBe('running');

    await first.stop();
    // The stream ended with a clean end of body (readSse throws on a reset), after the progress.
    const stream = await reading;
    expect(stream.status).toBe(200);
    expect(stream.frames.map((frame) => frame.event)).toEqual(['status', 'status', 'intent', 'log']); // queued, running, then progress

    const row = await connection.db.selectFrom('vector_agent_jobs').select(['status', 'worker_id', 'finished_at', 'result_version_id']).where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'queued', worker_id: null, finished_at: null, result_version_id: null });

    // A new server on the same database takes the job up and finishes it; the client resumes.
    const second = await startServer(connection, createScriptedAgent());
    const resumed = await readSse(`${second.base}/v1/jobs/${jobId}/events`, { headers: { authorization: headers.authorization, 'last-event-id': stream.frames.at(-1)?.id ?? '0' } });
    const events = resumed.frames.map((frame) => frame.event);
    expect(events[0], JSON.stringify(resumed.frames)).toBe('status'); // queued again
    expect(events.at(-1), JSON.stringify(resumed.frames.at(-1))).toBe('done');
    expect(resumed.frames.map((frame) => Number(frame.id))).toEqual(resumed.frames.map((_, index) => 5 + index));
    const job = (await (await fetch(`${second.base}/v1/jobs/${jobId}`, { headers })).json()) as { status: string; attempts: number; resultVersionId: string | null };
    expect(job.status).toBe('complete');
    expect(job.attempts).toBe(2);
    const versions = (await (await fetch(`${second.base}/v1/projects/${project.id}/versions`, { headers })).json()) as { items: Array<{ number: number }> };
    expect(versions.items.map((version) => version.number).sort()).toEqual([1, 2]);
  });
});
