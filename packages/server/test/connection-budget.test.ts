import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScriptedAgent, defaultAgentScript } from '@vector/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer, loadConfig } from '../src/index.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { bootstrapOrganization, sampleFiles } from './server-fixture.js';

const url = process.env.TEST_DATABASE_URL;

// Each pool names its connections (`vector-engine|queue|events <instance>`), so pg_stat_activity
// shows exactly what one process holds, whatever else shares the server.
describe.skipIf(!url)('a runtime stays within its PostgreSQL connection budget', () => {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const schema = `vs_budget_${suffix}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'vector-budget-'));
  // A pool: samples are taken while others are still running.
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  afterAll(async () => {
    await admin.query(`drop schema if exists ${schema} cascade; drop schema if exists ${schema}_pgboss cascade`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const environment = (extra: Record<string, string>) => ({ DATABASE_URL: url, DATABASE_SCHEMA: schema, VECTOR_LOCAL_BUILDS: 'false', VECTOR_DATA_DIR: dataDir, ...extra });

  /** Connections per application_name of one instance, right now. */
  async function connectionsOf(instance: string): Promise<Record<string, number>> {
    const { rows } = await admin.query<{ name: string; count: number }>(
      `select application_name as name, count(*)::int as count from pg_stat_activity where application_name like '%' || $1 group by application_name`,
      [` ${instance}`],
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.count]));
  }

  it('holds at most each pool size (plus its listener) while jobs run, and says so at start', async () => {
    const instance = `budget-${suffix}`;
    const info: string[] = [];
    const config = loadConfig(environment({ DATABASE_POOL_MAX: '3', VECTOR_QUEUE_POOL_MAX: '2', VECTOR_EVENTS_POOL_MAX: '1', VECTOR_WORKER_CONCURRENCY: '4' }));
    // The default script with a pause, so jobs overlap and every pool is asked for more than it has.
    const slow = createScriptedAgent({ type: 'slow', delayMs: 5, script: defaultAgentScript });
    const runtime = await createRuntime(config, { info: (message) => info.push(message), warn: () => undefined }, { agents: [slow], instance });
    const app = buildServer({ vector: runtime.vector, rateLimit: false, ...(runtime.eventFeed ? { eventFeed: runtime.eventFeed } : {}) });
    try {
      const budget = runtime.connections;
      if (!budget) throw new Error('expected a PostgreSQL budget');
      expect(budget.total).toBe(3 + (2 + 1) + (1 + 1));
      expect(info.join('\n')).toContain(`up to ${budget.total} for this process`);
      await runtime.vector.start();
      await app.ready();

      const peak: Record<string, number> = {};
      const sample = async () => {
        for (const [name, count] of Object.entries(await connectionsOf(instance))) peak[name] = Math.max(peak[name] ?? 0, count);
      };
      let finished = 0;
      const sampling: Array<Promise<void>> = [];
      runtime.vector.events.on('job.updated', ({ job }) => {
        if (['complete', 'failed', 'cancelled'].includes(job.status)) finished += 1;
        sampling.push(sample());
      });

      const { key } = await bootstrapOrganization(app, 'Budget');
      const post = async (path: string, body: unknown) => {
        const response = await app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${key}` }, payload: body as object });
        if (response.statusCode >= 300) throw new Error(`${path}: ${response.statusCode} ${response.body}`);
        return response.json() as { id: string; job?: { id: string } };
      };
      const jobs: string[] = [];
      for (let project = 0; project < 4; project += 1) {
        const created = await post('/v1/projects', { name: `p${project}` });
        await post(`/v1/projects/${created.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
        for (let message = 0; message < 3; message += 1) {
          const session = await post(`/v1/projects/${created.id}/sessions`, { agentType: 'slow' });
          const posted = await post(`/v1/sessions/${session.id}/messages`, { content: `message ${message}` });
          jobs.push(posted.job?.id as string);
          sampling.push(sample());
        }
      }
      while (finished < jobs.length) {
        await sample();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(sampling);
      await sample();

      const { engine, queue, events } = budget;
      expect(peak[engine.applicationName]).toBeGreaterThan(0);
      expect(peak[engine.applicationName]).toBeLessThanOrEqual(engine.pooled);
      expect(peak[queue.applicationName]).toBeGreaterThan(0);
      expect(peak[queue.applicationName]).toBeLessThanOrEqual(queue.pooled + queue.listeners);
      expect(peak[events.applicationName]).toBeGreaterThan(0);
      expect(peak[events.applicationName]).toBeLessThanOrEqual(events.pooled + events.listeners);
      const total = Object.values(await connectionsOf(instance)).reduce((sum, count) => sum + count, 0);
      expect(total).toBeLessThanOrEqual(budget.total);
      // Both listeners are up: the queue's wakes this process's workers, the bridge's carries events.
      const listening = await admin.query<{ name: string }>(`select application_name as name from pg_stat_activity where application_name like '%' || $1 and query like 'LISTEN%'`, [` ${instance}`]);
      expect(listening.rows.map((row) => row.name).sort()).toEqual([events.applicationName, queue.applicationName].sort());
    } finally {
      await app.close();
      await runtime.close();
    }
    // A backend leaves pg_stat_activity a moment after its client hung up.
    let left = await connectionsOf(instance);
    for (let attempt = 0; attempt < 100 && Object.keys(left).length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = await connectionsOf(instance);
    }
    expect(left).toEqual({});
  });

  it('warns at start when one process may open more connections than the server accepts', async () => {
    const warnings: string[] = [];
    const config = loadConfig(environment({ DATABASE_POOL_MAX: '200', VECTOR_QUEUE_POOL_MAX: '200' }));
    const runtime = await createRuntime(config, { info: () => undefined, warn: (message) => warnings.push(message) }, { instance: `over-${suffix}` });
    await runtime.close();
    const { rows } = await admin.query<{ max: number }>(`select current_setting('max_connections')::int as max`);
    const warning = warnings.find((message) => message.includes('PostgreSQL connections'));
    expect(warning).toMatch(/may open 404 PostgreSQL connections \(engine 200, queue 200 \+ 1 listener, events 2 \+ 1 listener\) but the server accepts \d+/);
    expect(warning).toContain(`max_connections ${rows[0]?.max}`);
    expect(warning).toContain('DATABASE_POOL_MAX');
  });

  it('gives an api process no queue listener', async () => {
    const config = loadConfig(environment({ VECTOR_ROLE: 'api' }));
    const runtime = await createRuntime(config, { info: () => undefined, warn: () => undefined }, { instance: `api-${suffix}` });
    await runtime.close();
    expect(runtime.connections?.queue.listeners).toBe(0);
    expect(runtime.connections?.total).toBe(10 + 4 + (2 + 1));
  });
});
