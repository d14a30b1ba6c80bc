import type { JobHandler, JobQueue } from '@vector/core';

/** Options of {@link createPgBossQueue}. */
export interface PgBossQueueOptions {
  connectionString: string;
  /** Schema pg-boss keeps its tables in. Default `vector_pgboss`. */
  schema?: string;
  /** Queue name. Default `vector-agent-jobs`. */
  queueName?: string;
  /** Jobs this process runs at once. Default 2. */
  concurrency?: number;
  /** How often idle workers poll, in seconds (pg-boss minimum 0.5). Default 1. */
  pollingIntervalSeconds?: number;
  /** Called when this process takes a job off the queue (before running it), e.g. to log it. */
  onJob?: (jobId: string) => void;
}

/**
 * A core `JobQueue` on pg-boss, so several processes on one PostgreSQL share agent jobs:
 * any process enqueues, the `worker` processes take them. pg-boss gives at-least-once
 * delivery; the engine claims job rows atomically, so a repeat delivery is harmless. A job
 * handed back on shutdown (the engine marks it `queued` again) is re-sent here by the
 * engine, and a crashed worker's job is recovered by the engine's stale-job sweep.
 */
export function createPgBossQueue(options: PgBossQueueOptions): JobQueue & { close(): Promise<void> } {
  const queueName = options.queueName ?? 'vector-agent-jobs';
  type Boss = import('pg-boss').PgBoss;
  let boss: Promise<Boss> | null = null;
  let workerId: string | null = null;

  const connect = () => {
    boss ??= (async () => {
      const { PgBoss } = await import('pg-boss');
      const instance = new PgBoss({ connectionString: options.connectionString, schema: options.schema ?? 'vector_pgboss', schedule: false, supervise: true });
      // pg-boss reports connection trouble as events; without a listener Node would throw.
      instance.on('error', () => undefined);
      await instance.start();
      await instance.createQueue(queueName);
      return instance;
    })();
    return boss;
  };

  return {
    async start(handler: JobHandler) {
      const instance = await connect();
      if (workerId) return;
      workerId = await instance.work<{ jobId: string }>(
        queueName,
        { batchSize: 1, localConcurrency: options.concurrency ?? 2, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
        async ([job]) => {
          if (!job) return;
          options.onJob?.(job.data.jobId);
          await handler(job.data.jobId);
        },
      );
    },
    async enqueue(jobId) {
      const instance = await connect();
      await instance.send(queueName, { jobId }, { retryLimit: 3, retryDelay: 2, expireInSeconds: 3600 });
    },
    async stop() {
      if (!boss || !workerId) return;
      const instance = await boss;
      const id = workerId;
      workerId = null;
      await instance.offWork(queueName, { id, wait: true });
    },
    async close() {
      if (!boss) return;
      const instance = await boss;
      boss = null;
      await instance.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
