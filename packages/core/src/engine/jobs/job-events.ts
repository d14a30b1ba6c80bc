import type { Kysely, Transaction } from 'kysely';
import type { AgentJobEvent, JobEventData } from '../../schemas/agent-event.js';
import type { CoreDatabase } from '../store/database-schema.js';
import type { EngineContext } from '../engine-context.js';
import { toJson } from '../store/json-column.js';

type Executor = Kysely<CoreDatabase> | Transaction<CoreDatabase>;

/**
 * Appends one event to a job's log. The job row's counter hands out the next sequence in
 * the same statement that bumps it, so sequences are 1, 2, 3… with no gaps even when the
 * engine, a canceller and a recovering worker append at once. Announced after commit.
 */
export async function appendJobEvent(
  engine: EngineContext,
  executor: Executor,
  afterCommit: ((callback: () => void) => void) | null,
  job: { id: string; organization_id: string; project_id: string },
  data: JobEventData,
  /** When given, only append while this worker still owns the job; null otherwise. */
  owner?: string,
): Promise<AgentJobEvent | null> {
  const write = async (trx: Executor) => {
    let bump = trx
      .updateTable('vector_agent_jobs')
      .set((eb) => ({ event_counter: eb('event_counter', '+', 1) }))
      .where('id', '=', job.id);
    if (owner !== undefined) bump = bump.where('worker_id', '=', owner).where('status', '=', 'running');
    const bumped = await bump.returning(['event_counter']).executeTakeFirst();
    if (!bumped) return null;
    const event: AgentJobEvent = { jobId: job.id, sequence: Number(bumped.event_counter), createdAt: engine.nowIso(), data };
    await trx.insertInto('vector_agent_job_events').values({ job_id: job.id, sequence: event.sequence, data: toJson(data), created_at: event.createdAt }).execute();
    return event;
  };
  const announce = (event: AgentJobEvent) => engine.events.emit('job.event', { organizationId: job.organization_id, projectId: job.project_id, jobId: job.id, event });
  if (afterCommit) {
    const event = await write(executor);
    if (event) afterCommit(() => announce(event));
    return event;
  }
  const event = await engine.db.transaction().execute((trx) => write(trx));
  if (event) announce(event);
  return event;
}
