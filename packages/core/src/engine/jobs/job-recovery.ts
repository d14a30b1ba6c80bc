import type { EngineContext } from '../engine-context.js';
import { appendJobEvent } from './job-events.js';
import { toJson } from '../store/json-column.js';
import { toAgentJob } from '../store/row-mappers.js';

/**
 * Returns jobs whose worker stopped heart-beating (a crash, a killed process) to the queue.
 * A job that has already used `maxAttempts` fails instead, so a job that crashes its worker
 * every time cannot loop forever.
 */
export async function recoverStaleJobs(engine: EngineContext, maxAttempts: number): Promise<number> {
  const cutoff = new Date(engine.now().getTime() - engine.settings.jobStaleAfterMs).toISOString();
  const stale = await engine.db
    .selectFrom('vector_agent_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', cutoff)]))
    .execute();
  let recovered = 0;
  for (const job of stale) {
    const exhausted = Number(job.attempts) >= maxAttempts;
    const cancelled = job.cancel_requested_at !== null;
    const updated = await engine.transaction(async (trx, afterCommit) => {
      const row = await trx
        .updateTable('vector_agent_jobs')
        .set(
          cancelled
            ? { status: 'cancelled', worker_id: null, finished_at: engine.nowIso() }
            : exhausted
              ? { status: 'failed', worker_id: null, finished_at: engine.nowIso(), error: toJson({ code: 'INTERNAL', message: `The job's worker stopped ${job.attempts} times; giving up` }) }
              : { status: 'queued', worker_id: null, heartbeat_at: null },
        )
        .where('id', '=', job.id)
        .where('status', '=', 'running')
        .where('heartbeat_at', job.heartbeat_at === null ? 'is' : '=', job.heartbeat_at)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      await appendJobEvent(
        engine,
        trx,
        afterCommit,
        job,
        cancelled
          ? { type: 'cancelled', reason: 'cancelled while its worker was unreachable' }
          : exhausted
            ? { type: 'failed', error: { code: 'INTERNAL', message: `The job's worker stopped ${job.attempts} times; giving up` } }
            : { type: 'status', status: 'queued', attempt: Number(job.attempts) + 1 },
      );
      return row;
    });
    if (!updated) continue;
    engine.events.emit('job.updated', { organizationId: updated.organization_id, projectId: updated.project_id, job: toAgentJob(updated) });
    if (!exhausted && !cancelled) {
      await engine.queue.enqueue(job.id);
      recovered += 1;
    }
  }
  return recovered;
}
