import { errorMessage, type JobHandler, type JobQueue, parseInput } from '@vector/core';
import type { Job, JobResult, PgBoss } from 'pg-boss';
import { z } from 'zod';

/** Options of {@link createPgBossQueue}. */
export interface PgBossQueueOptions {
  connectionString: string;
  /** Schema pg-boss keeps its tables in. Default `vector_pgboss`. */
  schema?: string;
  /** Queue name. Default `vector-agent-jobs`. */
  queueName?: string;
  /** Jobs this process runs at once (1–1000). Default 8. */
  concurrency?: number;
  /**
   * Jobs one fetch takes at most (1 to `concurrency`). Default 1. Larger batches save fetch
   * queries; a batch's jobs run at once, and its worker fetches again when the last one ends.
   */
  batchSize?: number;
  /**
   * How often an idle worker looks for jobs when nothing wakes it, in seconds (at least 0.5).
   * Default 2. Workers are woken through LISTEN/NOTIFY the moment a job is sent, and fetch
   * again straight after a job while work is waiting; this poll is the fallback when the
   * LISTEN connection is down (or refused, e.g. by PgBouncer in transaction mode). While the
   * listener is up, pg-boss polls as a backstop every `max(30, pollingIntervalSeconds)` s.
   */
  pollingIntervalSeconds?: number;
  /**
   * Hold the LISTEN connection that wakes this process's workers. Default true; a process that
   * never calls `start()` (an api process) saves the connection with `false`. Jobs sent from
   * anywhere always notify.
   */
  listen?: boolean;
  /** The most pooled connections pg-boss opens (1–200); the LISTEN connection comes on top. Default 4. */
  maxConnections?: number;
  /** `application_name` of the queue's connections (pool and listener). Default `pgboss`. */
  applicationName?: string;
  /** Where pg-boss's own warnings go (slow queries, a LISTEN connection it could not open). Default: dropped. */
  log?: { warn(message: string): void };
  /** Called when this process takes a job off the queue (before running it), e.g. to log it. */
  onJob?: (jobId: string) => void;
}

const settingsSchema = z
  .object({
    concurrency: z.number().int().min(1).max(1000).default(8),
    batchSize: z.number().int().min(1).max(1000).default(1),
    pollingIntervalSeconds: z.number().min(0.5).max(3600).default(2),
    maxConnections: z.number().int().min(1).max(200).default(4),
  })
  .refine((settings) => settings.batchSize <= settings.concurrency, { message: 'batchSize cannot exceed concurrency', path: ['batchSize'] });

/**
 * A core `JobQueue` on pg-boss, so several processes on one PostgreSQL share agent jobs:
 * any process enqueues, the `worker` processes take them. pg-boss gives at-least-once
 * delivery; the engine claims job rows atomically, so a repeat delivery is harmless. A job
 * handed back on shutdown (the engine marks it `queued` again) is re-sent here by the
 * engine, and a crashed worker's job is recovered by the engine's stale-job sweep.
 *
 * Throughput: `concurrency` jobs run at once in this process, taken `batchSize` per fetch by
 * `concurrency / batchSize` pg-boss workers (the remainder in one smaller batch). The queue is
 * notify-enabled, so a job sent by any process wakes idle workers at once, and a worker whose
 * fetch found work fetches again without pausing; polling only backs that up.
 *
 * @throws ValidationError when a numeric option is out of range or `batchSize` exceeds `concurrency`.
 */
export function createPgBossQueue(options: PgBossQueueOptions): JobQueue & { close(): Promise<void> } {
  const settings = parseInput(
    settingsSchema,
    { concurrency: options.concurrency, batchSize: options.batchSize, pollingIntervalSeconds: options.pollingIntervalSeconds, maxConnections: options.maxConnections },
    'pg-boss queue options',
  );
  const queueName = options.queueName ?? 'vector-agent-jobs';
  let boss: Promise<PgBoss> | null = null;
  let registered = false;
  // The pending `work()` registration: a second start() waits for it; stop() waits, then undoes it.
  let starting: Promise<void> | null = null;
  let wanted = false;

  const connect = (): Promise<PgBoss> => {
    if (boss) return boss;
    const attempt = (async () => {
      const { PgBoss } = await import('pg-boss');
      const instance = new PgBoss({
        connectionString: options.connectionString,
        schema: options.schema ?? 'vector_pgboss',
        schedule: false,
        supervise: true,
        max: settings.maxConnections,
        useListenNotify: options.listen ?? true,
        ...(options.applicationName ? { application_name: options.applicationName } : {}),
      });
      // pg-boss reports connection trouble as events; without a listener Node would throw.
      instance.on('error', () => undefined);
      instance.on('warning', (warning) => options.log?.warn(`pg-boss: ${warning.message}`));
      try {
        // pg-boss installs and migrates its schema under its own advisory lock, so processes
        // starting together on a fresh database wait for one another.
        await instance.start();
        await instance.createQueue(queueName, { notify: true });
        // A queue created before notifications were used keeps its settings: turn them on.
        if ((await instance.getQueue(queueName))?.notify === false) await instance.updateQueue(queueName, { notify: true });
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

  // pg-boss fetches again without pausing after a full batch (`burstWhenBatchFull`), but not at
  // batch size 1, where every fetch that finds a job is full: the worker would sleep out its
  // polling interval after each job while others wait. Waking the busy workers when a job ends
  // applies the same rule at size 1: they fetch again as soon as their jobs are done.
  const keepBusyWorkersFetching = (instance: PgBoss) => {
    for (const worker of instance.getWipData()) {
      if (worker.name === queueName && worker.count > 0) instance.notifyWorker(worker.id);
    }
  };

  const register = async (handler: JobHandler) => {
    const instance = await connect();
    if (registered || !wanted) return;
    registered = true;
    const runBatch = (size: number) => async (jobs: Job<{ jobId: string }>[]): Promise<JobResult[]> => {
      const results = await Promise.all(
        jobs.map(async (job): Promise<JobResult> => {
          options.onJob?.(job.data.jobId);
          try {
            await handler(job.data.jobId);
            return { id: job.id, status: 'completed' };
          } catch (error) {
            // Settled per job: one failure retries that job alone, not its whole batch.
            return { id: job.id, status: 'failed', output: { message: errorMessage(error) } };
          }
        }),
      );
      if (size === 1) keepBusyWorkersFetching(instance);
      return results;
    };
    const groups = [
      { size: settings.batchSize, workers: Math.floor(settings.concurrency / settings.batchSize) },
      { size: settings.concurrency % settings.batchSize, workers: 1 },
    ].filter((group) => group.size > 0 && group.workers > 0);
    try {
      for (const group of groups) {
        await instance.work<{ jobId: string }>(
          queueName,
          {
            batchSize: group.size,
            localConcurrency: group.workers,
            pollingIntervalSeconds: settings.pollingIntervalSeconds,
            burstWhenBatchFull: group.size > 1,
            perJobResults: true,
          },
          runBatch(group.size),
        );
      }
    } catch (error) {
      registered = false;
      await instance.offWork(queueName, { wait: true }).catch(() => undefined);
      throw error;
    }
  };

  const unregister = async () => {
    if (!boss || !registered) return;
    const instance = await boss;
    registered = false;
    // The instance is this queue's own: every worker on the queue name is one registered here.
    await instance.offWork(queueName, { wait: true });
  };

  return {
    async start(handler: JobHandler) {
      wanted = true;
      starting ??= register(handler).finally(() => {
        starting = null;
      });
      await starting;
      // stop() was called while we connected: it waited for us and took the workers off again.
    },
    async enqueue(jobId) {
      const instance = await connect();
      await instance.send(queueName, { jobId }, { retryLimit: 3, retryDelay: 2, expireInSeconds: 3600 });
    },
    async stop() {
      wanted = false;
      // A start still connecting would register its workers after we return; wait for it first.
      await starting?.catch(() => undefined);
      await unregister();
    },
    async close() {
      wanted = false;
      await starting?.catch(() => undefined);
      const pending = boss;
      boss = null;
      registered = false;
      if (!pending) return;
      // A connect that failed left nothing to close.
      const instance = await pending.catch(() => null);
      await instance?.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
