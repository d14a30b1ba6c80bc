import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { AgentJobEvent, AgentStepKind, AgentStepStatus, ErrorInfo, JobEventData, TokenUsage } from '../../schemas/agent-event.js';
import type { EngineContext } from '../engine-context.js';
import type { CoreDatabase } from '../store/database-schema.js';
import { fromJson, toJson } from '../store/json-column.js';
import { toJobCounters } from '../store/row-mappers.js';

/**
 * The one module that changes the state of agent sessions and jobs: it owns
 * `vector_agent_sessions`, `vector_chat_messages`, `vector_agent_jobs`,
 * `vector_agent_job_events` and `vector_agent_steps`. The agent API, the job runner and the stale-job recovery call
 * these functions; none of them writes those tables itself.
 *
 * Guarantees: a job's events are numbered 1, 2, 3… with no gaps; a worker's writes to a
 * running job land only while that worker still owns it (`worker_id`); every status change
 * appends its event in the same transaction.
 */

type Executor = Kysely<CoreDatabase> | Transaction<CoreDatabase>;
type AfterCommit = (callback: () => void) => void;

/** A row of `vector_agent_jobs`. */
export type JobRow = Selectable<CoreDatabase['vector_agent_jobs']>;
/** A row of `vector_chat_messages`. */
export type ChatMessageRow = Selectable<CoreDatabase['vector_chat_messages']>;
/** The columns of a job the store needs to append to its log. */
type JobKey = Pick<JobRow, 'id' | 'organization_id' | 'project_id'>;
/**
 * A running job as the worker that claimed it knows it: its attempt is part of the ownership, so
 * once a job is taken from a stalled run and claimed again (by another worker, or by this same
 * process), the stalled run's writes no longer land.
 */
type OwnedJob = JobKey & Pick<JobRow, 'attempts'>;

/** Narrows a write to the running job `job` while this worker's attempt still owns it. */
function whileOwned<Q extends { where(column: 'worker_id' | 'status' | 'attempts', operator: '=', value: string | number): Q }>(query: Q, engine: EngineContext, job: Pick<JobRow, 'attempts'>): Q {
  return query.where('worker_id', '=', engine.workerId).where('status', '=', 'running').where('attempts', '=', Number(job.attempts));
}

/** Inserts a new agent session. */
export async function insertSession(trx: Executor, row: Insertable<CoreDatabase['vector_agent_sessions']>): Promise<void> {
  await trx.insertInto('vector_agent_sessions').values(row).execute();
}

/** Appends a message to a session at the session's next position (its counter is bumped in the same statement). */
export async function appendChatMessage(
  engine: EngineContext,
  trx: Transaction<CoreDatabase>,
  message: Pick<ChatMessageRow, 'session_id' | 'project_id' | 'organization_id' | 'role' | 'content' | 'job_id' | 'version_id' | 'created_by'> & { id?: string },
): Promise<ChatMessageRow> {
  const now = engine.nowIso();
  const counter = await trx
    .updateTable('vector_agent_sessions')
    .set((eb) => ({ message_counter: eb('message_counter', '+', 1), updated_at: now }))
    .where('id', '=', message.session_id)
    .returning(['message_counter'])
    .executeTakeFirstOrThrow();
  const row: ChatMessageRow = { ...message, id: message.id ?? engine.newId(), position: Number(counter.message_counter), created_at: now };
  await trx.insertInto('vector_chat_messages').values(row).execute();
  return row;
}

/** Inserts a queued job and its first event (`status: queued`). */
export async function insertJob(engine: EngineContext, trx: Transaction<CoreDatabase>, afterCommit: AfterCommit, row: JobRow): Promise<void> {
  await trx.insertInto('vector_agent_jobs').values(row).execute();
  await appendJobEvent(engine, trx, afterCommit, row, { type: 'status', status: 'queued', attempt: 1 });
}

/**
 * A step to record with the log event that announces it: `announceAs: 'step'` logs a `step`
 * summary (its index filled in), `'usage'` keeps the agent's own `usage` event (agents that
 * report model calls with `usage` events get a step row without input or output).
 */
export interface StepToRecord {
  kind: AgentStepKind;
  name: string;
  model: string | null;
  inputDigest: string | null;
  output: unknown;
  status: AgentStepStatus;
  error: string | null;
  usage: Required<TokenUsage>;
  costUsd: number | null;
  durationMs: number;
  announceAs: { type: 'step' } | { type: 'usage'; event: Extract<JobEventData, { type: 'usage' }> };
}

/** What a running job appends: a log event, or a step with the event that announces it. */
export type JobLogEntry = JobEventData | { record: StepToRecord };

const isStep = (entry: JobLogEntry): entry is { record: StepToRecord } => 'record' in entry;

/** A model call counts against the job's `maxSteps` once it succeeded. */
export const countsAsModelCall = (step: Pick<StepToRecord, 'kind' | 'status'>): boolean => step.kind === 'model' && step.status === 'succeeded';

/**
 * Writes `entries` to a job's log, numbered as a block by the job row's counter: the statement
 * that bumps the counter hands out the sequences, so they are 1, 2, 3… with no gaps even when
 * the engine, a canceller and a recovering worker append at once. Steps among them are
 * recorded in the same transaction, numbered by the job's step counter, and added to the job's
 * model calls, tokens and cost in that same statement, so the job's totals are always the sum
 * of its steps. With `owner`, only while that worker still owns the running job; null
 * otherwise (nothing is written).
 */
async function writeEvents(engine: EngineContext, trx: Executor, job: JobKey, entries: ReadonlyArray<JobLogEntry>, owned?: OwnedJob): Promise<AgentJobEvent[] | null> {
  const steps = entries.filter(isStep).map((entry) => entry.record);
  const models = steps.filter((step) => step.kind === 'model');
  const sum = (pick: (step: StepToRecord) => number) => models.reduce((total, step) => total + pick(step), 0);
  let bump = trx
    .updateTable('vector_agent_jobs')
    .set((eb) => ({
      event_counter: eb('event_counter', '+', entries.length),
      ...(steps.length === 0
        ? {}
        : {
            step_counter: eb('step_counter', '+', steps.length),
            steps: eb('steps', '+', models.filter(countsAsModelCall).length),
            prompt_tokens: eb('prompt_tokens', '+', sum((step) => step.usage.promptTokens)),
            cached_tokens: eb('cached_tokens', '+', sum((step) => step.usage.cachedTokens)),
            completion_tokens: eb('completion_tokens', '+', sum((step) => step.usage.completionTokens)),
            total_tokens: eb('total_tokens', '+', sum((step) => step.usage.totalTokens)),
            cost_usd: eb('cost_usd', '+', sum((step) => step.costUsd ?? 0)),
            unpriced_calls: eb('unpriced_calls', '+', models.filter((step) => countsAsModelCall(step) && step.costUsd === null).length),
          }),
    }))
    .where('id', '=', job.id);
  if (owned !== undefined) bump = whileOwned(bump, engine, owned);
  const bumped = await bump.returning(['event_counter', 'step_counter', 'attempts', 'session_id']).executeTakeFirst();
  if (!bumped) return null;
  const first = Number(bumped.event_counter) - entries.length + 1;
  const createdAt = engine.nowIso();
  // The attempt an event belongs to: the job's attempts so far, and 1 before the first.
  const attempt = Math.max(1, Number(bumped.attempts));
  let stepIndex = Number(bumped.step_counter) - steps.length;
  const stepRows: Array<Insertable<CoreDatabase['vector_agent_steps']>> = [];
  const written = entries.map((entry, index): AgentJobEvent => {
    let data: JobEventData;
    if (isStep(entry)) {
      const step = entry.record;
      stepIndex += 1;
      stepRows.push({
        id: engine.newId(),
        job_id: job.id,
        organization_id: job.organization_id,
        project_id: job.project_id,
        session_id: bumped.session_id,
        step_index: stepIndex,
        attempt,
        kind: step.kind,
        name: step.name,
        model: step.model,
        input_digest: step.inputDigest,
        output: step.output === undefined ? null : toJson(step.output),
        status: step.status,
        error: step.error,
        prompt_tokens: step.usage.promptTokens,
        cached_tokens: step.usage.cachedTokens,
        completion_tokens: step.usage.completionTokens,
        total_tokens: step.usage.totalTokens,
        cost_usd: step.costUsd,
        duration_ms: step.durationMs,
        created_at: createdAt,
      });
      data =
        step.announceAs.type === 'usage'
          ? step.announceAs.event
          : { type: 'step', index: stepIndex, kind: step.kind, name: step.name, model: step.model, status: step.status, usage: step.kind === 'model' ? step.usage : null, costUsd: step.costUsd, durationMs: step.durationMs };
    } else {
      data = entry;
    }
    return { jobId: job.id, sequence: first + index, attempt, createdAt, data };
  });
  if (stepRows.length > 0) await trx.insertInto('vector_agent_steps').values(stepRows).execute();
  await trx
    .insertInto('vector_agent_job_events')
    .values(written.map((event) => ({ job_id: job.id, sequence: event.sequence, attempt, data: toJson(event.data), created_at: createdAt })))
    .execute();
  return written;
}

function announce(engine: EngineContext, job: JobKey, events: ReadonlyArray<AgentJobEvent>): void {
  for (const event of events) engine.events.emit('job.event', { organizationId: job.organization_id, projectId: job.project_id, jobId: job.id, event });
}

/**
 * Appends one event to a job's log (see {@link writeEvents} for its numbering), in `executor`'s
 * transaction when `afterCommit` is given, else in a transaction of its own. Announced after
 * commit; null when the job row is gone.
 */
export async function appendJobEvent(engine: EngineContext, executor: Executor, afterCommit: AfterCommit | null, job: JobKey, data: JobEventData): Promise<AgentJobEvent | null> {
  const written = afterCommit ? await writeEvents(engine, executor, job, [data]) : await engine.db.transaction().execute((trx) => writeEvents(engine, trx, job, [data]));
  if (!written) return null;
  if (afterCommit) afterCommit(() => announce(engine, job, written));
  else announce(engine, job, written);
  return written[0] ?? null;
}

/**
 * Appends several events to a running job's log in one transaction (one commit for all), each
 * announced, in order, after the commit. Only while this worker's attempt still owns the
 * running job; null otherwise (nothing is written).
 */
export async function appendJobEvents(engine: EngineContext, job: OwnedJob, events: ReadonlyArray<JobLogEntry>): Promise<AgentJobEvent[] | null> {
  if (events.length === 0) return [];
  const written = await engine.db.transaction().execute((trx) => writeEvents(engine, trx, job, events, job));
  if (written) announce(engine, job, written);
  return written;
}

/**
 * Claims a queued job for this worker (`queued` → `running`, one more attempt) and appends
 * its `running` event. Undefined when another caller claimed it first or it was cancelled.
 */
export async function claimJob(engine: EngineContext, jobId: string): Promise<JobRow | undefined> {
  const now = engine.nowIso();
  const claimed = await engine.db
    .updateTable('vector_agent_jobs')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      started_at: sql<string>`coalesce(started_at, ${now})`,
      heartbeat_at: now,
      worker_id: engine.workerId,
      // A first attempt starts from the version its predecessor left: the base is read now,
      // not when the message was posted. A later attempt keeps its base (its steps replay on it).
      base_version_id: sql<string | null>`case when attempts = 0 then (select p.current_version_id from vector_projects p where p.id = vector_agent_jobs.project_id) else base_version_id end`,
    }))
    .where('id', '=', jobId)
    .where('status', '=', 'queued')
    .where('cancel_requested_at', 'is', null)
    // A project's jobs run one at a time, in the order they were posted: none of its jobs may
    // be running, nor queued before this one.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('vector_agent_jobs as other')
            .select('other.id')
            .whereRef('other.project_id', '=', 'vector_agent_jobs.project_id')
            .where('other.id', '!=', jobId)
            .where((eb) =>
              eb.or([
                eb('other.status', '=', 'running'),
                eb.and([
                  eb('other.status', '=', 'queued'),
                  eb.or([eb('other.created_at', '<', eb.ref('vector_agent_jobs.created_at')), eb.and([eb('other.created_at', '=', eb.ref('vector_agent_jobs.created_at')), eb('other.id', '<', jobId)])]),
                ]),
              ]),
            ),
        ),
      ),
    )
    .returningAll()
    .executeTakeFirst();
  if (!claimed) return undefined;
  recordJobMetrics(engine, claimed);
  const attempt = toJobCounters(claimed).attempts;
  const resumedSteps = attempt > 1 ? (await readReplayableSteps(engine.db, claimed.id)).length : 0;
  await appendJobEvent(engine, engine.db, null, claimed, { type: 'status', status: 'running', attempt, ...(attempt > 1 ? { resumedSteps } : {}) });
  return claimed;
}

/**
 * The job a project should run next: its oldest queued one, when none of its jobs is running.
 * Null when it has none, or one is running (that one hands on when it ends).
 */
export async function nextJobOfProject(engine: EngineContext, projectId: string): Promise<string | null> {
  const running = await engine.db.selectFrom('vector_agent_jobs').select('id').where('project_id', '=', projectId).where('status', '=', 'running').limit(1).executeTakeFirst();
  if (running) return null;
  const next = await engine.db.selectFrom('vector_agent_jobs').select('id').where('project_id', '=', projectId).where('status', '=', 'queued').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  return next?.id ?? null;
}

/**
 * Projects whose oldest queued job has waited since before `cutoff` with none of their jobs
 * running: their hand-on was lost (a worker died between finishing a job and enqueueing the
 * next, or the queue handed a job to a worker that died before claiming it). Their next job ids.
 */
export async function findWaitingHeads(engine: EngineContext, cutoff: string): Promise<string[]> {
  const rows = await engine.db
    .selectFrom('vector_agent_jobs as job')
    .select(['job.id', 'job.project_id'])
    .where('job.status', '=', 'queued')
    .where('job.created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('vector_agent_jobs as other').select('other.id').whereRef('other.project_id', '=', 'job.project_id').where('other.status', '=', 'running'))))
    .orderBy('job.created_at')
    .orderBy('job.id')
    .limit(500)
    .execute();
  // The head of each project only.
  const heads = new Map<string, string>();
  for (const row of rows) if (!heads.has(row.project_id)) heads.set(row.project_id, row.id);
  return [...heads.values()];
}

/** The steps of a job a later attempt may replay: those that succeeded and recorded an input digest, in order. */
export function readReplayableSteps(executor: Executor, jobId: string): Promise<Array<Selectable<CoreDatabase['vector_agent_steps']>>> {
  return executor
    .selectFrom('vector_agent_steps')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('status', '=', 'succeeded')
    .where('input_digest', 'is not', null)
    .orderBy('step_index')
    .execute();
}

/** Who runs a job and whether its cancellation was requested, as the executor (a transaction, say) sees it now. */
export function readJobOwnership(executor: Executor, jobId: string): Promise<Pick<JobRow, 'worker_id' | 'cancel_requested_at'> | undefined> {
  return executor.selectFrom('vector_agent_jobs').select(['worker_id', 'cancel_requested_at']).where('id', '=', jobId).executeTakeFirst();
}

/** Running jobs whose worker has not heart-beaten since `cutoff` (an ISO timestamp), or never did. */
export function findStaleJobs(engine: EngineContext, cutoff: string): Promise<JobRow[]> {
  return engine.db
    .selectFrom('vector_agent_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', cutoff)]))
    .execute();
}

/** Running jobs owned by another worker than this one, whatever their heartbeat. */
export function findRunningJobsOfOtherWorkers(engine: EngineContext): Promise<JobRow[]> {
  return engine.db.selectFrom('vector_agent_jobs').selectAll().where('status', '=', 'running').where('worker_id', '!=', engine.workerId).execute();
}

/** Records this worker's heartbeat; undefined when this worker's attempt no longer owns the job. */
export function heartbeatJob(engine: EngineContext, job: Pick<JobRow, 'id' | 'attempts'>): Promise<Pick<JobRow, 'cancel_requested_at' | 'status'> | undefined> {
  return engine.db
    .updateTable('vector_agent_jobs')
    .set({ heartbeat_at: engine.nowIso() })
    .where('id', '=', job.id)
    .where('worker_id', '=', engine.workerId)
    .where('attempts', '=', Number(job.attempts))
    .returning(['cancel_requested_at', 'status'])
    .executeTakeFirst();
}

/** Records a running job's progress (plan, type); false when this worker no longer owns it. Steps and spending go with their events (`appendJobEvents`). */
export async function recordJobProgress(engine: EngineContext, job: Pick<JobRow, 'id' | 'attempts'>, patch: Partial<Pick<JobRow, 'plan' | 'job_type'>>): Promise<boolean> {
  const updated = await whileOwned(engine.db.updateTable('vector_agent_jobs').set(patch).where('id', '=', job.id), engine, job).executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Moves a running job this worker's attempt still owns to a new state; undefined when it does not. */
function transitionOwned(engine: EngineContext, trx: Transaction<CoreDatabase>, job: Pick<JobRow, 'id' | 'attempts'>, patch: Partial<JobRow>, unlessCancelRequested: boolean) {
  let update = whileOwned(trx.updateTable('vector_agent_jobs').set(patch).where('id', '=', job.id), engine, job);
  if (unlessCancelRequested) update = update.where('cancel_requested_at', 'is', null);
  return update.returningAll().executeTakeFirst();
}

/** How a job this worker runs ends. */
export type JobOutcome =
  | { status: 'failed'; error: ErrorInfo }
  | { status: 'cancelled'; reason: string }
  | { status: 'complete'; resultVersionId: string | null; messageId: string };

/**
 * Finishes a running job this worker owns and appends its final event. A `complete` outcome
 * does not land once a cancellation was requested. Undefined when nothing was written.
 */
export async function finishJob(engine: EngineContext, trx: Transaction<CoreDatabase>, afterCommit: AfterCommit, job: OwnedJob, outcome: JobOutcome): Promise<JobRow | undefined> {
  const finishedAt = engine.nowIso();
  if (outcome.status === 'complete') {
    const updated = await transitionOwned(engine, trx, job, { status: 'complete', result_version_id: outcome.resultVersionId, finished_at: finishedAt, worker_id: null }, true);
    if (updated) {
      afterCommit(() => recordJobMetrics(engine, updated));
      // The totals of every attempt's steps, as the job row holds them.
      const { usage, steps } = toJobCounters(updated);
      await appendJobEvent(engine, trx, afterCommit, job, { type: 'done', versionId: outcome.resultVersionId, messageId: outcome.messageId, usage, steps });
    }
    return updated;
  }
  const error = outcome.status === 'failed' ? outcome.error : null;
  const updated = await transitionOwned(engine, trx, job, { status: outcome.status, error: error === null ? null : toJson(error), finished_at: finishedAt, worker_id: null }, false);
  if (updated) {
    afterCommit(() => recordJobMetrics(engine, updated));
    await appendJobEvent(engine, trx, afterCommit, job, outcome.status === 'failed' ? { type: 'failed', error: outcome.error } : { type: 'cancelled', reason: outcome.reason });
  }
  return updated;
}

/**
 * Hands a running job this worker owns back to the queue, as if it had never started.
 * Undefined when the worker no longer owns it or its cancellation was requested.
 */
export async function requeueJob(engine: EngineContext, trx: Transaction<CoreDatabase>, afterCommit: AfterCommit, job: OwnedJob): Promise<JobRow | undefined> {
  const updated = await transitionOwned(engine, trx, job, { status: 'queued', worker_id: null, heartbeat_at: null }, true);
  if (updated) await appendJobEvent(engine, trx, afterCommit, job, { type: 'status', status: 'queued', attempt: toJobCounters(updated).attempts + 1 });
  return updated;
}

/**
 * Takes a running job from a worker that stopped heart-beating: back to the queue, or, when
 * its cancellation was requested or its attempts are used up, to its final state. Only lands
 * when the row is still the one that was found stale (same heartbeat); undefined otherwise.
 */
export async function releaseStaleJob(engine: EngineContext, trx: Transaction<CoreDatabase>, afterCommit: AfterCommit, job: JobRow, outcome: 'requeue' | 'cancel' | 'give-up'): Promise<JobRow | undefined> {
  const attempts = toJobCounters(job).attempts;
  const givingUp: ErrorInfo = { code: 'INTERNAL', message: `The job's worker stopped ${attempts} times; giving up` };
  const row = await trx
    .updateTable('vector_agent_jobs')
    .set(
      outcome === 'cancel'
        ? { status: 'cancelled', worker_id: null, finished_at: engine.nowIso() }
        : outcome === 'give-up'
          ? { status: 'failed', worker_id: null, finished_at: engine.nowIso(), error: toJson(givingUp) }
          : { status: 'queued', worker_id: null, heartbeat_at: null },
    )
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('heartbeat_at', job.heartbeat_at === null ? 'is' : '=', job.heartbeat_at)
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  afterCommit(() => recordJobMetrics(engine, row));
  await appendJobEvent(
    engine,
    trx,
    afterCommit,
    job,
    outcome === 'cancel'
      ? { type: 'cancelled', reason: 'cancelled while its worker was unreachable' }
      : outcome === 'give-up'
        ? { type: 'failed', error: givingUp }
        : { type: 'status', status: 'queued', attempt: attempts + 1 },
  );
  return row;
}

/**
 * Cancels a job: a queued one outright (with its `cancelled` event), a running one by
 * flagging it so its worker stops it. Returns the row as it now stands.
 */
export async function cancelJob(engine: EngineContext, trx: Transaction<CoreDatabase>, afterCommit: AfterCommit, job: JobKey, reason: string): Promise<JobRow> {
  const now = engine.nowIso();
  const cancelledQueued = await trx
    .updateTable('vector_agent_jobs')
    .set({ status: 'cancelled', finished_at: now, cancel_requested_at: now })
    .where('id', '=', job.id)
    .where('status', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
  if (cancelledQueued) {
    afterCommit(() => recordJobMetrics(engine, cancelledQueued));
    await appendJobEvent(engine, trx, afterCommit, job, { type: 'cancelled', reason });
  } else {
    await trx.updateTable('vector_agent_jobs').set({ cancel_requested_at: now }).where('id', '=', job.id).where('status', '=', 'running').execute();
  }
  return trx.selectFrom('vector_agent_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
}

/**
 * Counts a job's change of state on this process's meters: a claimed attempt (with the first
 * attempt's wait since posting), or a final state (with the time since the job first started).
 * Called by this module only, after the change is committed.
 */
function recordJobMetrics(engine: EngineContext, row: JobRow): void {
  const { metrics } = engine.telemetry;
  const startedAt = row.started_at === null ? null : Date.parse(row.started_at);
  if (row.status === 'running') {
    const attempt = Number(row.attempts);
    metrics.jobStarted({ agentType: row.agent_type, attempt, waitedMs: attempt === 1 && startedAt !== null ? startedAt - Date.parse(row.created_at) : null });
  } else if (row.status === 'complete' || row.status === 'failed' || row.status === 'cancelled') {
    const errorCode = row.status === 'failed' ? (fromJson<{ code?: string } | null>(row.error)?.code ?? null) : null;
    const durationMs = startedAt !== null && row.finished_at !== null ? Date.parse(row.finished_at) - startedAt : null;
    metrics.jobEnded({ agentType: row.agent_type, status: row.status, errorCode, durationMs });
  }
}
