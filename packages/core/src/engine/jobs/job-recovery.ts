import type { EngineContext } from '../engine-context.js';
import { toAgentJob, toJobCounters } from '../store/row-mappers.js';
import { findRunningJobsOfOtherWorkers, findStaleJobs, findWaitingHeads, type JobRow, releaseStaleJob } from './job-store.js';

/**
 * Returns jobs whose worker stopped heart-beating (a crash, a killed process) to the queue.
 * A job that has already used `maxAttempts` fails instead, so a job that crashes its worker
 * every time cannot loop forever.
 */
export async function recoverStaleJobs(engine: EngineContext, maxAttempts: number): Promise<number> {
  const cutoff = new Date(engine.now().getTime() - engine.settings.jobStaleAfterMs).toISOString();
  // Queued jobs nobody took: the next job of a project whose hand-on was lost, or a job the
  // queue handed to a worker that died before claiming it. Enqueued again (a claim is atomic,
  // so a job already on its way is not run twice). Read before releasing stale running jobs,
  // which enqueue themselves.
  const waiting = await findWaitingHeads(engine, cutoff);
  const released = await release(engine, await findStaleJobs(engine, cutoff), maxAttempts);
  for (const jobId of waiting) await engine.queue.enqueue(jobId);
  return released + waiting.length;
}

/**
 * On SQLite, at start: the jobs an earlier process left `running` and will never finish. An
 * SQLite database lives on this machine, so its workers are processes of this machine; a job
 * whose worker's process is gone (a crash, `kill -9`) goes back to the queue at once instead of
 * waiting for its heartbeat to go stale. Jobs of live processes (another engine in this process,
 * another process on the same file) are left to the heartbeat rule.
 */
export async function recoverJobsOfDeadProcesses(engine: EngineContext, maxAttempts: number): Promise<number> {
  const orphans = (await findRunningJobsOfOtherWorkers(engine)).filter((job) => job.worker_id !== null && !processIsAlive(pidOfWorker(job.worker_id)));
  return release(engine, orphans, maxAttempts);
}

/** The process id in a worker id (`<pid>-<random>`, see the engine context), or null. */
function pidOfWorker(workerId: string): number | null {
  const pid = Number(workerId.split('-', 1)[0]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** Whether a process with this id runs on this machine; an unknown id counts as alive (the heartbeat rule decides). */
function processIsAlive(pid: number | null): boolean {
  if (pid === null || pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function release(engine: EngineContext, stale: JobRow[], maxAttempts: number): Promise<number> {
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
