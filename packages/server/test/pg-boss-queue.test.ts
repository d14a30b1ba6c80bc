import { randomBytes } from 'node:crypto';
import { ValidationError } from '@vector/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgBossQueue } from '../src/runtime/create-pg-boss-queue.js';

const url = process.env.TEST_DATABASE_URL;

const until = async (check: () => boolean, what: string) => {
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('pg-boss queue options', () => {
  it('refuses a batch larger than the concurrency, and out-of-range numbers', () => {
    expect(() => createPgBossQueue({ connectionString: 'postgres://localhost/x', concurrency: 2, batchSize: 4 })).toThrow(ValidationError);
    expect(() => createPgBossQueue({ connectionString: 'postgres://localhost/x', pollingIntervalSeconds: 0.1 })).toThrow(/pollingIntervalSeconds/);
    expect(() => createPgBossQueue({ connectionString: 'postgres://localhost/x', maxConnections: 0 })).toThrow(/maxConnections/);
  });
});

// Every queue here polls once an hour: a job taken at all was taken because a notification or
// the previous job woke the worker, never because a poll came round.
describe.skipIf(!url)('pg-boss queue takes waiting jobs at once', () => {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const schemas: string[] = [];
  const queues: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const queue of queues) await queue.close().catch(() => undefined);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    for (const schema of schemas) await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });
  const queueOn = (schema: string, options: Parameters<typeof createPgBossQueue>[0] extends infer O ? Partial<O> : never) => {
    if (!schemas.includes(schema)) schemas.push(schema);
    const queue = createPgBossQueue({ connectionString: url as string, schema, pollingIntervalSeconds: 3600, ...options });
    queues.push(queue);
    return queue;
  };

  it('wakes an idle worker through LISTEN/NOTIFY when another process sends a job', async () => {
    const schema = `boss_notify_${suffix}`;
    const handled: string[] = [];
    const worker = queueOn(schema, { concurrency: 2, applicationName: `wq_${suffix}` });
    const sender = queueOn(schema, { listen: false });
    await worker.start(async (jobId) => void handled.push(jobId));
    await sender.enqueue('first');
    await until(() => handled.includes('first'), 'the first job');
    // The worker has fetched again and found nothing: only a notification can bring the next one.
    await sender.enqueue('second');
    await until(() => handled.includes('second'), 'the second job');
    expect(handled).toEqual(['first', 'second']);

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const listeners = await admin.query(`select count(*)::int as count from pg_stat_activity where application_name = $1 and query like 'LISTEN%'`, [`wq_${suffix}`]);
      expect(listeners.rows[0].count).toBe(1);
      const queue = await admin.query(`select notify from ${schema}.queue where name = 'vector-agent-jobs'`);
      expect(queue.rows[0].notify).toBe(true);
    } finally {
      await admin.end();
    }
  });

  it('keeps fetching while jobs wait, without notifications, one job per fetch', async () => {
    const schema = `boss_drain_${suffix}`;
    const sender = queueOn(schema, { listen: false });
    for (let index = 0; index < 6; index += 1) await sender.enqueue(`job-${index}`);
    const handled: string[] = [];
    const worker = queueOn(schema, { concurrency: 1, listen: false });
    await worker.start(async (jobId) => void handled.push(jobId));
    await until(() => handled.length === 6, 'every waiting job');
    expect(handled.sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4', 'job-5']);
  });

  it('runs at most `concurrency` jobs at once in batches, the remainder in a smaller batch', async () => {
    const schema = `boss_batch_${suffix}`;
    const sender = queueOn(schema, { listen: false });
    for (let index = 0; index < 12; index += 1) await sender.enqueue(`job-${index}`);
    const handled: string[] = [];
    let running = 0;
    let peak = 0;
    // Jobs hold their slot until three run at once, so the peak is reached for sure; then all flow.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    // Concurrency 3 in batches of 2: one worker taking 2 jobs a fetch, one taking 1.
    const worker = queueOn(schema, { concurrency: 3, batchSize: 2, listen: false });
    await worker.start(async (jobId) => {
      running += 1;
      peak = Math.max(peak, running);
      if (running === 3) openGate();
      await gate;
      handled.push(jobId);
      running -= 1;
    });
    await until(() => handled.length === 12, 'every waiting job');
    expect(peak).toBe(3);
  });

  it('settles each job of a batch on its own: a failing job does not fail the others', async () => {
    const schema = `boss_settle_${suffix}`;
    const sender = queueOn(schema, { listen: false });
    for (const id of ['good-1', 'bad', 'good-2']) await sender.enqueue(id);
    const attempts: string[] = [];
    const worker = queueOn(schema, { concurrency: 3, batchSize: 3, listen: false });
    await worker.start(async (jobId) => {
      attempts.push(jobId);
      if (jobId === 'bad') throw new Error('no');
    });
    await until(() => attempts.length >= 3, 'the batch');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      let states: Record<string, string> = {};
      for (let attempt = 0; attempt < 250; attempt += 1) {
        const { rows } = await admin.query<{ id: string; state: string }>(`select data->>'jobId' as id, state::text from ${schema}.job where name = 'vector-agent-jobs'`);
        states = Object.fromEntries(rows.map((row) => [row.id, row.state]));
        if (states['good-1'] === 'completed' && states['good-2'] === 'completed' && states.bad !== 'active') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(states).toEqual({ 'good-1': 'completed', 'good-2': 'completed', bad: 'retry' });
    } finally {
      await admin.end();
    }
  });
});
