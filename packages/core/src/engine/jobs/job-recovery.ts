import type { EngineContext } from '../engine-context.js';
import { toAgentJob, toJobCounters } from '../store/row-mappers.js';
import { findStaleJobs, releaseStaleJob } from './job-store.js';

/**
 * Returns jobs whose worker stopped heart-beating (a crash, a killed process) to the queue.
 * A job that has already used `maxAttempts` fails instead, so a job that crashes its worker
 * every time cannot loop forever.
 */
export async function recoverStaleJobs(engine: EngineContext, maxAttempts: number): Promise<number> {
  const cutoff = new Date(engine.now().getTime() - engine.settings.jobStaleAfterMs).toISOString();
  const stale = await findStaleJobs(engine, cutoff);
  let recovered = 0;
  for (const job of stale) {
    const outcome = job.cancel_requested_at !== null ? 'cancel' : toJobCounters(job).attempts >= maxAttempts ? 'give-up' : 'requeue';
    const updated = await engine.transaction((trx, afterCommit) => releaseStaleJob(engine, trx, afterCommit, job, outcome));
    if (!updated) continue;
    engine.events.emit('job.updated', { organizationId: updated.organization_id, projectId: updated.project_id, job: toAgentJob(updated) });
    if (outcome === 'requeue') {
      await engine.queue.enqueue(job.id);
      recovered += 1;
    }
  }
  return recovered;
}
