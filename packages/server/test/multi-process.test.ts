import { randomBytes } from 'node:crypto';
import { createMemoryStorage, createPostgresDatabase, createScriptedAgent, createStaticProvider, createVector } from '@vector/core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { createPgBossQueue } from '../src/runtime/create-pg-boss-queue.js';
import { createPostgresEventBridge } from '../src/runtime/create-postgres-event-bridge.js';
import { bootstrapOrganization, sampleFiles } from './server-fixture.js';
import { readSse } from './sse-client.js';

const url = process.env.TEST_DATABASE_URL;

// Two engines (api-only and worker-only) share one PostgreSQL schema, a pg-boss queue and the
// LISTEN/NOTIFY bridge — as two processes would. The job is run by the worker engine while the
// SSE client is attached to the api engine's server over real HTTP.
describe.skipIf(!url)('api and worker roles share work through PostgreSQL', () => {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const schema = `vs_${suffix}`;
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    const admin = await createPostgresDatabase({ connectionString: url as string, maxConnections: 1 });
    await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await admin.db.schema.dropSchema(`boss_${suffix}`).ifExists().cascade().execute();
    await admin.destroy();
  });

  // Real deployments share a durable store (internal or GitHub); in memory, one instance stands in for it.
  const sharedStorage = createMemoryStorage();
  async function engine(role: 'api' | 'worker') {
    const database = await createPostgresDatabase({ connectionString: url as string, schema, maxConnections: 4 });
    const queue = createPgBossQueue({ connectionString: url as string, schema: `boss_${suffix}`, pollingIntervalSeconds: 0.5 });
    const bridge = createPostgresEventBridge({ connectionString: url as string, channel: `ev_${suffix}` });
    await bridge.start();
    const vector = createVector({ database, storage: [sharedStorage], providers: [createStaticProvider()], agents: [createScriptedAgent({ delayMs: 10 })], roles: [role], queue, events: bridge.events });
    bridge.attach(vector);
    cleanup.push(async () => {
      await vector.dispose();
      await queue.close();
      await bridge.close();
      await database.destroy();
    });
    return vector;
  }

  it('runs a job posted to the api process on the worker process and streams its events from the api process', async () => {
    const api = await engine('api');
    await api.migrate();
    const worker = await engine('worker');
    const ranOnWorker: string[] = [];
    worker.events.on('job.updated', ({ job }) => ranOnWorker.push(job.status));
    await api.start();
    await worker.start();
    const app = buildServer({ vector: api, rateLimit: false });
    cleanup.push(() => app.close());
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { key } = await bootstrapOrganization(app, 'Multi');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => (await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json() as Promise<any>;
    const project = await post('/v1/projects', { name: 'p' });
    await post(`/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const session = await post(`/v1/projects/${project.id}/sessions`, {});
    const posted = await post(`/v1/sessions/${session.id}/messages`, { content: 'from another process' });
    const stream = await readSse(`${base}/v1/jobs/${posted.job.id}/events`, { headers: { authorization: headers.authorization } });
    const ids = stream.frames.map((frame) => Number(frame.id));
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    expect(stream.frames.at(-1)?.event).toBe('done');
    expect(ranOnWorker).toContain('running');
  });
});
