/** Runs one job; resolves when the job reached a final state or was handed back. */
export type JobHandler = (jobId: string) => Promise<void>;

/**
 * Where queued agent jobs wait for a worker. The default runs them in this process; the
 * reference server offers one on pg-boss so several processes share the work.
 *
 * Guarantees an implementation gives: a job id enqueued is handed to `handler` at least
 * once while some worker is started (the engine makes re-delivery harmless: it claims the
 * job row atomically and ignores ids that are not `queued`).
 */
export interface JobQueue {
  /** Begin handing enqueued ids to `handler`. Called by `vector.start()` on workers. */
  start(handler: JobHandler): Promise<void>;
  enqueue(jobId: string): Promise<void>;
  /** Stop taking ids; resolves once handlers in flight have returned. */
  stop(): Promise<void>;
}
