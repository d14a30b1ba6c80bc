import { randomBytes } from 'node:crypto';
import type { AgentJobEvent, VectorEvents } from '@vector/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgBossQueue } from '../src/runtime/create-pg-boss-queue.js';
import { createPostgresEventBridge } from '../src/runtime/create-postgres-event-bridge.js';

const url = process.env.TEST_DATABASE_URL;

const until = async (check: () => Promise<boolean> | boolean, what: string) => {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

function jobEvent(sequence: number): VectorEvents['job.event'] {
  const event: AgentJobEvent = { jobId: 'j', sequence, attempt: 1, createdAt: new Date().toISOString(), data: { type: 'log', level: 'info', message: `m${sequence}` } };
  return { organizationId: 'o', projectId: 'p', jobId: 'j', event };
}

// Connections carry an application_name unique to this run, so the test terminates only its own.
describe.skipIf(!url)('PostgreSQL event bridge and pg-boss queue survive connection trouble', () => {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  const ready = admin.connect();
  afterAll(async () => {
    await ready;
    await admin.query(`drop database if exists vs_late_${suffix} with (force)`).catch(() => undefined);
    await admin.query(`drop schema if exists race_${suffix} cascade`).catch(() => undefined);
    await admin.end();
  });
  const withName = (name: string) => `${url}${url?.includes('?') ? '&' : '?'}application_name=${name}`;
  const terminate = async (where: string) => {
    await ready;
    return (await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where ${where} and pid <> pg_backend_pid()`)).rowCount ?? 0;
  };

  it('keeps the process alive when an idle publisher connection is terminated, and still publishes', async () => {
    const channel = `evp_${suffix}`;
    const warnings: string[] = [];
    const sender = createPostgresEventBridge({ connectionString: withName(`pub_${suffix}`), channel, log: { warn: (message) => warnings.push(message) } });
    const receiver = createPostgresEventBridge({ connectionString: url as string, channel });
    await sender.start();
    await receiver.start();
    try {
      const received: number[] = [];
      receiver.events.on('job.event', ({ event }) => received.push(event.sequence));
      sender.events.emit('job.event', jobEvent(1));
      await until(() => received.includes(1), 'the first event');
      // The publisher's pooled connection sits idle now; the listener is the one running LISTEN.
      expect(await terminate(`application_name = 'pub_${suffix}' and query not like 'LISTEN%'`)).toBeGreaterThan(0);
      await until(() => warnings.some((warning) => warning.includes('publisher connection failed')), 'the pool error to be logged');
      sender.events.emit('job.event', jobEvent(2));
      await until(() => received.includes(2), 'an event after the termination');
      expect(warnings.join('\n')).not.toContain(url as string);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });

  it('re-establishes a lost LISTEN connection, reports health, and signals a resync', async () => {
    const channel = `evl_${suffix}`;
    const warnings: string[] = [];
    const sender = createPostgresEventBridge({ connectionString: url as string, channel });
    const receiver = createPostgresEventBridge({ connectionString: withName(`lis_${suffix}`), channel, reconnectDelayMs: 20, maxReconnectDelayMs: 200, log: { warn: (message) => warnings.push(message) } });
    await sender.start();
    await receiver.start();
    try {
      let resyncs = 0;
      receiver.onResync(() => (resyncs += 1));
      const received: number[] = [];
      receiver.events.on('job.event', ({ event }) => received.push(event.sequence));
      expect(receiver.isHealthy()).toBe(true);
      sender.events.emit('job.event', jobEvent(1));
      await until(() => received.includes(1), 'the first event');

      expect(await terminate(`application_name = 'lis_${suffix}' and query = 'LISTEN ${channel}'`)).toBe(1);
      await until(() => resyncs === 1, 'the resync after reconnecting');
      expect(receiver.isHealthy()).toBe(true);
      expect(warnings.some((warning) => warning.includes('reconnecting'))).toBe(true);
      const listening = await admin.query(`select count(*)::int as count from pg_stat_activity where application_name = 'lis_${suffix}' and query = 'LISTEN ${channel}'`);
      expect(listening.rows[0].count).toBe(1);
      sender.events.emit('job.event', jobEvent(2));
      await until(() => received.includes(2), 'an event after reconnecting');
    } finally {
      await sender.close();
      await receiver.close();
    }
    expect(receiver.isHealthy()).toBe(false);
  });

  it('retries a pg-boss connect that failed, and closes a queue whose connect never succeeded', async () => {
    const database = `vs_late_${suffix}`;
    const lateUrl = new URL(url as string);
    lateUrl.pathname = `/${database}`;
    const queue = createPgBossQueue({ connectionString: lateUrl.toString(), schema: 'late_pgboss', pollingIntervalSeconds: 0.5 });
    await expect(queue.enqueue('job-1')).rejects.toThrow(/does not exist/);
    await ready;
    await admin.query(`create database ${database}`);
    await expect(queue.enqueue('job-1')).resolves.toBeUndefined();
    await queue.close();

    const missingUrl = new URL(url as string);
    missingUrl.pathname = `/vs_missing_${suffix}`;
    const broken = createPgBossQueue({ connectionString: missingUrl.toString() });
    await expect(broken.enqueue('job-1')).rejects.toThrow();
    await expect(broken.close()).resolves.toBeUndefined();
  });

  it('does not leave a worker registered when stop() comes while start() is still connecting', async () => {
    const handled: string[] = [];
    const queue = createPgBossQueue({ connectionString: url as string, schema: `race_${suffix}`, pollingIntervalSeconds: 0.5 });
    try {
      const starting = queue.start(async (jobId) => {
        handled.push(jobId);
      });
      await queue.stop();
      await starting;
      await queue.enqueue('job-after-stop');
      // Two polling intervals: a registered worker would have taken the job by now.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(handled).toEqual([]);
      // A second start registers once, and the worker then takes the job.
      await Promise.all([queue.start(async (jobId) => void handled.push(jobId)), queue.start(async (jobId) => void handled.push(jobId))]);
      await until(() => handled.length > 0, 'the worker to take the job');
      expect(handled).toEqual(['job-after-stop']);
    } finally {
      await queue.close();
    }
  });
});
