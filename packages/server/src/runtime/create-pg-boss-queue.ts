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
  // The pending `work()` registration: a second start() waits for it; stop() waits, then undoes it.
  let starting: Promise<void> | null = null;
  let wanted = false;

  const connect = (): Promise<Boss> => {
    if (boss) return boss;
    const attempt = (async () => {
      const { PgBoss } = await import('pg-boss');
      const instance = new PgBoss({ connectionString: options.connectionString, schema: options.schema ?? 'vector_pgboss', schedule: false, supervise: true });
      // pg-boss reports connection trouble as events; without a listener Node would throw.
      instance.on('error', () => undefined);
      try {
        await instance.start();
        await instance.createQueue(queueName);
      } catch (error) {
        // A half-started instance may hold a pool; release it before giving up.
        await instance.stop({ graceful: false, timeout: 1_000 }).catch(() => undefined);
        throw error;
      }
      return instance;
    })();
    boss = attempt;
    // A failed connect is not cached: the next call tries again (the database may be up by then).
    attempt.catch(() => {
      if (boss === attempt) boss = null;
    });
    return attempt;
  };

  const register = async (handler: JobHandler) => {
    const instance = await connect();
    if (workerId || !wanted) return;
    workerId = await instance.work<{ jobId: string }>(
      queueName,
      { batchSize: 1, localConcurrency: options.concurrency ?? 2, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
      async ([job]) => {
        if (!job) return;
        options.onJob?.(job.data.jobId);
        await handler(job.data.jobId);
      },
    );
  };

  const unregister = async () => {
    if (!boss || !workerId) return;
    const instance = await boss;
    const id = workerId;
    workerId = null;
    await instance.offWork(queueName, { id, wait: true });
  };

  return {
    async start(handler: JobHandler) {
      wanted = true;
      starting ??= register(handler).finally(() => {
        starting = null;
      });
      await starting;
      // stop() was called while we connected: it waited for us and took the worker off again.
    },
    async enqueue(jobId) {
      const instance = await connect();
      await instance.send(queueName, { jobId }, { retryLimit: 3, retryDelay: 2, expireInSeconds: 3600 });
    },
    async stop() {
      wanted = false;
      // A start still connecting would register its worker after we return; wait for it first.
      await starting?.catch(() => undefined);
      await unregister();
    },
    async close() {
      wanted = false;
      await starting?.catch(() => undefined);
      const pending = boss;
      boss = null;
      workerId = null;
      if (!pending) return;
      // A connect that failed left nothing to close.
      const instance = await pending.catch(() => null);
      await instance?.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
