import { CancelledError } from '../../errors/cancelled-error.js';
import { ConflictError } from '../../errors/conflict-error.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { decodeText, encodeText, isBinaryContent } from '../../files/content.js';
import { normalizeFilePath } from '../../files/path-rules.js';
import type { AgentProjectFiles, AgentRunContext } from '../../plugins/agent.js';
import { agentEventSchema, type ErrorInfo, type ParsedAgentEvent } from '../../schemas/agent-event.js';
import { type AgentJob, agentJobTypeSchema } from '../../schemas/agent-job.js';
import type { FileChange, FileEntry } from '../../schemas/source-file.js';
import type { EngineContext } from '../engine-context.js';
import { createJobToolbox } from '../connectors/job-toolbox.js';
import { fromJson, toJson } from '../store/json-column.js';
import { toAgentJob, toAgentStep, toJobCounters } from '../store/row-mappers.js';
import { storageFor, toStorageProject } from '../scope-context.js';
import { writeVersion } from '../versions/version-store.js';
import {
  appendChatMessage,
  appendJobEvents,
  claimJob,
  countsAsModelCall,
  finishJob,
  heartbeatJob,
  type JobLogEntry,
  type JobOutcome,
  type JobRow,
  nextJobOfProject,
  readJobOwnership,
  readReplayableSteps,
  recordJobProgress,
  requeueJob,
  type StepToRecord,
} from './job-store.js';
import { errorMessage } from '../../helpers/error-message.js';
import { errorInfo } from '../error-info.js';
import { type Context, SpanStatusCode, trace } from '@opentelemetry/api';
import { restoreTraceContext, withSpan } from '../telemetry/engine-telemetry.js';
import { recordStepSpan } from '../telemetry/record-step-span.js';

type ResultEvent = Extract<ParsedAgentEvent, { type: 'result' }>;

/** Why a run stopped early. `lost`: another worker took the job over (this one stalled). */
type StopReason = 'cancel' | 'shutdown' | 'budget' | 'lost' | 'conflict' | null;

/** Thrown inside the runner when this worker no longer owns the job: nothing more is written. */
class OwnershipLost extends Error {}

/**
 * Runs one queued job to a final state. Safe to call twice for one id (a queue may deliver
 * twice): only the caller whose UPDATE moves the row from `queued` to `running` proceeds.
 */
export async function runJob(engine: EngineContext, jobId: string): Promise<void> {
  const claimed = await claimJob(engine, jobId);
  if (!claimed) return;
  announce(engine, claimed);

  const controller = new AbortController();
  const local = { controller, reason: null as StopReason };
  engine.runningJobs.set(jobId, local);
  const heartbeat = setInterval(() => void beat(engine, claimed, local), engine.settings.jobHeartbeatMs);
  heartbeat.unref?.();
  // A version written to the project by anyone but this job (a manual edit, a rollback, a
  // push taken in) makes the job's work unsaveable: it ends as a conflict at once, before it
  // spends more tokens. Versions from other processes arrive through the event bus too.
  // The event only prompts a look at the project's head: events from other processes can
  // arrive late, and the predecessor job's version (this job's base) must not count as foreign.
  const onVersion = (payload: { projectId: string; version: { id: string; jobId: string | null } }) => {
    if (payload.projectId !== claimed.project_id || payload.version.jobId === claimed.id || payload.version.id === claimed.base_version_id || local.reason !== null) return;
    void projectMoved(engine, claimed).then(
      (moved) => {
        if (!moved || local.reason !== null) return;
        local.reason = 'conflict';
        local.controller.abort(conflictError(claimed));
      },
      // The database unreachable: the check between model calls, and the save, still catch a move.
      () => undefined,
    );
  };
  engine.events.on('version.created', onVersion);
  try {
    // The run joins the trace of the request that queued the job (stored with it), in any process.
    const attributes = {
      'vector.job.id': claimed.id,
      'vector.project.id': claimed.project_id,
      'vector.organization.id': claimed.organization_id,
      'vector.agent.type': claimed.agent_type,
      'vector.job.attempt': Number(claimed.attempts),
    };
    const parent = restoreTraceContext(claimed.trace_context);
    await withSpan(engine.telemetry, 'vector.job.run', { attributes, parent }, (span) => execute(engine, claimed, local, trace.setSpan(parent, span)));
  } catch (error) {
    // Finalising itself failed (e.g. the database went away); the row stays `running`
    // and the stale-job recovery returns it to the queue.
    engine.events.emit('warning', { organizationId: claimed.organization_id, projectId: claimed.project_id, code: 'JOB_FINALIZE_FAILED', message: errorMessage(error) });
  } finally {
    engine.events.off('version.created', onVersion);
    clearInterval(heartbeat);
    engine.runningJobs.delete(jobId);
  }
  // Hand on to the project's next job (a lost hand-on is caught by the recovery sweep).
  if (local.reason !== 'shutdown') await handOn(engine, claimed.project_id);
}

/** Enqueues a project's next job, if it has one waiting and none running. */
export async function handOn(engine: EngineContext, projectId: string): Promise<void> {
  try {
    const next = await nextJobOfProject(engine, projectId);
    if (next) await engine.queue.enqueue(next);
  } catch (error) {
    engine.events.emit('warning', { projectId, code: 'JOB_FINALIZE_FAILED', message: `Could not hand on to the project's next job: ${errorMessage(error)}` });
  }
}

function conflictError(job: JobRow): ConflictError {
  return new ConflictError({
    message: `Project ${job.project_id} got a new version while job ${job.id} was working on version ${job.base_version_id ?? '(none)'}: the job stopped before spending more. Send the message again to work on the new version.`,
    details: { projectId: job.project_id, reason: 'PROJECT_MOVED', baseVersionId: job.base_version_id },
  });
}

/** True when the project's head is no longer the job's base, nor a version this job wrote. */
async function projectMoved(engine: EngineContext, job: JobRow): Promise<boolean> {
  const row = await engine.db
    .selectFrom('vector_projects as p')
    .leftJoin('vector_code_versions as v', 'v.id', 'p.current_version_id')
    .select(['p.current_version_id', 'v.job_id'])
    .where('p.id', '=', job.project_id)
    .executeTakeFirst();
  return row !== undefined && row.current_version_id !== job.base_version_id && row.job_id !== job.id;
}

async function beat(engine: EngineContext, job: JobRow, local: { controller: AbortController; reason: StopReason }): Promise<void> {
  try {
    const row = await heartbeatJob(engine, job);
    if (!row) {
      // Another worker recovered the job while this one stalled, or the project was deleted:
      // stop at once and write nothing more.
      local.reason = 'lost';
      local.controller.abort(new CancelledError({ message: 'This worker no longer owns the job' }));
    } else if (row.cancel_requested_at !== null || row.status !== 'running') {
      // Cancelled, possibly from another process.
      local.reason ??= 'cancel';
      local.controller.abort(new CancelledError());
    }
  } catch {
    // A missed heartbeat is harmless; the next one retries.
  }
}

function announce(engine: EngineContext, row: JobRow): void {
  engine.events.emit('job.updated', { organizationId: row.organization_id, projectId: row.project_id, job: toAgentJob(row) });
}

async function execute(engine: EngineContext, job: JobRow, local: { controller: AbortController; reason: StopReason }, traceContext: Context): Promise<void> {
  const agent = engine.agents.get(job.agent_type);
  // What every attempt spent so far, against the job's budget; the job row adds up the same steps.
  const spent = createSpendingMeter(toJobCounters(job));
  let lastStepAt = Date.now();
  let result: ResultEvent | null = null;
  let failure: unknown = null;
  // Writes by the runner only land while this worker still owns the running job. Events are
  // written behind the agent (the agent is not kept waiting for each commit) and in order;
  // progress updates and the job's end wait until every earlier event is committed.
  const events = createEventWriter(engine, job);
  const ownedUpdate = async (patch: Parameters<typeof recordJobProgress>[2]) => {
    await events.flush();
    if (!(await recordJobProgress(engine, job, patch))) throw new OwnershipLost();
  };
  let iterator: AsyncIterator<unknown> | null = null;
  // The user's message, for model spans when the engine records prompts.
  let prompt: string | null = null;
  // The job's MCP connectors; their connections close when the agent is done.
  const tools = createJobToolbox(engine, {
    id: job.id,
    organizationId: job.organization_id,
    projectId: job.project_id,
    sessionId: job.session_id,
    actor: { type: 'agent', id: job.agent_type },
    signal: local.controller.signal,
  });
  try {
    if (!agent) throw new ValidationError({ message: `No agent of type ${job.agent_type} is registered with this engine` });
    const context = { ...(await buildRunContext(engine, job, local.controller.signal)), tools };
    prompt = context.message.content;
    iterator = agent.run(context)[Symbol.asyncIterator]();
    for (;;) {
      const step = await nextOrAbandon(iterator, local.controller.signal, engine.settings.jobCancelGraceMs);
      if (step === null || step.done || local.controller.signal.aborted) break;
      const parsed = agentEventSchema.safeParse(step.value);
      if (!parsed.success) {
        throw new ValidationError({ message: `Agent ${job.agent_type} emitted an invalid event: ${parsed.error.issues[0]?.message ?? 'invalid'}`, cause: parsed.error });
      }
      const event = parsed.data;
      if (result) throw new ValidationError({ message: `Agent ${job.agent_type} emitted events after its result` });
      if (event.type === 'result') {
        result = {
          ...event,
          changes: event.changes.map((change) => ({ ...change, path: normalizeFilePath(change.path) })),
          // A check that did not run produced nothing.
          validationCheck: event.validationStatus === 'not_run' ? null : event.validationCheck,
        };
        events.append({
          type: 'result',
          changedPaths: result.changes.map((change) => change.path),
          commitMessage: result.commitMessage,
          summary: result.summary,
          validationStatus: result.validationStatus,
          validationCheck: result.validationCheck,
        });
        continue;
      }
      if (event.type === 'step' || event.type === 'usage') {
        const step = toStepRecord(engine, event, Date.now() - lastStepAt);
        lastStepAt = Date.now();
        recordStepSpan(engine.telemetry, { step, parent: traceContext, endTime: lastStepAt, prompt });
        if (step.kind === 'model') engine.telemetry.metrics.modelCall({ model: step.model ?? 'unknown', inputTokens: step.usage.promptTokens, outputTokens: step.usage.completionTokens, costUsd: step.costUsd });
        events.append({ record: step });
        spent.add(step);
        const over = spent.over();
        if (over) {
          local.reason = 'budget';
          local.controller.abort(new Error(over.budget));
          throw over;
        }
        // Between model calls: a project that moved on (a missed event) ends the job here.
        if (await projectMoved(engine, job)) {
          local.reason = 'conflict';
          local.controller.abort(conflictError(job));
          throw conflictError(job);
        }
        continue;
      }
      events.append(event);
      if (event.type === 'plan') await ownedUpdate({ plan: toJson(event.steps) });
      if (event.type === 'intent') {
        const jobType = agentJobTypeSchema.safeParse(event.intent);
        await ownedUpdate({ job_type: jobType.success ? jobType.data : null });
      }
    }
  } catch (error) {
    if (error instanceof OwnershipLost) local.reason = 'lost';
    failure = error;
  } finally {
    // Let the agent clean up (close its model stream); never wait on one that ignores it.
    void Promise.resolve(iterator?.return?.()).catch(() => undefined);
    void tools.close();
  }
  // Whatever the agent emitted is committed before the job ends (or is handed back).
  try {
    await events.flush();
  } catch (error) {
    if (error instanceof OwnershipLost) local.reason = 'lost';
    else failure ??= error;
  }

  if (local.reason === 'lost') return;
  if (local.reason === 'shutdown') return requeue(engine, job);
  if (local.reason === 'cancel') return finishCancelled(engine, job, 'cancelled while running');
  if (local.reason === 'conflict') return finishFailed(engine, job, errorInfo(conflictError(job)));
  if (failure === null && result === null) failure = new ValidationError({ message: `Agent ${job.agent_type} finished without a result` });
  if (failure !== null || result === null) return finishFailed(engine, job, errorInfo(failure));
  return finishComplete(engine, job, result);
}

type StepOrUsageEvent = Extract<ParsedAgentEvent, { type: 'step' | 'usage' }>;

/**
 * The step row an agent's `step` event (or, from agents that report model calls with `usage`
 * events, its `usage` event) becomes, priced with the engine's price table.
 */
function toStepRecord(engine: EngineContext, event: StepOrUsageEvent, elapsedMs: number): StepToRecord {
  const tokens = event.usage;
  const usage = { promptTokens: tokens?.promptTokens ?? 0, cachedTokens: tokens?.cachedTokens ?? 0, completionTokens: tokens?.completionTokens ?? 0, totalTokens: tokens?.totalTokens ?? 0 };
  const model = event.model ?? null;
  const kind = event.type === 'usage' ? 'model' : event.kind;
  const costUsd = kind === 'model' && model !== null ? engine.prices.costOf(model, usage) : null;
  if (event.type === 'usage') {
    return { kind, name: model ?? 'model', model, inputDigest: null, output: undefined, status: 'succeeded', error: null, usage, costUsd, durationMs: elapsedMs, announceAs: { type: 'usage', event } };
  }
  return { kind, name: event.name, model, inputDigest: event.inputDigest, output: event.output, status: event.status, error: event.error ?? null, usage, costUsd, durationMs: event.durationMs, announceAs: { type: 'step' } };
}

/** A job's spending (every attempt's) against its budget. */
function createSpendingMeter(start: Pick<AgentJob, 'budget' | 'usage' | 'steps' | 'costUsd'>) {
  const { budget } = start;
  let steps = start.steps;
  let tokens = start.usage.totalTokens;
  let cost = start.costUsd ?? 0;
  return {
    add(step: StepToRecord): void {
      if (countsAsModelCall(step)) steps += 1;
      if (step.kind === 'model') {
        tokens += step.usage.totalTokens;
        cost += step.costUsd ?? 0;
      }
    },
    /** The budget crossed, if any. */
    over(): BudgetExceededError | null {
      if (steps > budget.maxSteps) return new BudgetExceededError({ budget: 'job_steps', message: `The job made ${steps} model calls; its budget is ${budget.maxSteps}`, details: { steps } });
      if (tokens > budget.maxTokens) return new BudgetExceededError({ budget: 'job_tokens', message: `The job used ${tokens} tokens; its budget is ${budget.maxTokens}`, details: { tokens } });
      if (budget.maxCostUsd !== null && cost > budget.maxCostUsd) {
        return new BudgetExceededError({ budget: 'job_cost', message: `The job's model calls cost $${cost.toFixed(6)}; its budget is $${budget.maxCostUsd}`, details: { costUsd: cost } });
      }
      return null;
    },
  };
}

/** Most events one commit carries (well under SQLite's and PostgreSQL's parameter limits). */
const MAX_EVENTS_PER_COMMIT = 500;

/**
 * Appends a running job's events in order without making the agent wait for each commit:
 * events that arrive while a commit is under way go out together in the next one (a group
 * commit), each announced only once committed. `append` throws once a write has failed
 * (e.g. the job was taken over); `flush` waits for every appended event to be committed.
 */
function createEventWriter(engine: EngineContext, job: JobRow) {
  let queue: JobLogEntry[] = [];
  let draining: Promise<void> | null = null;
  let failure: unknown = null;
  const drain = async () => {
    while (queue.length > 0 && failure === null) {
      const batch = queue.slice(0, MAX_EVENTS_PER_COMMIT);
      queue = queue.slice(batch.length);
      try {
        if ((await appendJobEvents(engine, job, batch)) === null) throw new OwnershipLost();
      } catch (error) {
        failure = error;
      }
    }
    draining = null;
  };
  return {
    append(event: JobLogEntry): void {
      if (failure !== null) throw failure;
      queue.push(event);
      draining ??= drain();
    },
    async flush(): Promise<void> {
      while (draining) await draining;
      if (failure !== null) throw failure;
    },
  };
}

/**
 * The agent's next event, or null once `signal` has aborted and the agent has not stopped
 * within the grace period: an agent that ignores cancellation cannot keep a job running.
 */
async function nextOrAbandon(iterator: AsyncIterator<unknown>, signal: AbortSignal, graceMs: number): Promise<IteratorResult<unknown> | null> {
  const next = iterator.next();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<null>((resolve) => {
    const arm = () => {
      timer = setTimeout(() => resolve(null), graceMs);
      timer.unref?.();
    };
    if (signal.aborted) arm();
    else {
      onAbort = arm;
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([next, abandoned]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

async function buildRunContext(engine: EngineContext, job: JobRow, signal: AbortSignal): Promise<AgentRunContext> {
  const [session, message, project] = await Promise.all([
    engine.db.selectFrom('vector_agent_sessions').selectAll().where('id', '=', job.session_id).executeTakeFirstOrThrow(),
    engine.db.selectFrom('vector_chat_messages').selectAll().where('id', '=', job.message_id).executeTakeFirstOrThrow(),
    engine.db.selectFrom('vector_projects').selectAll().where('id', '=', job.project_id).executeTakeFirstOrThrow(),
  ]);
  const history = await engine.db
    .selectFrom('vector_chat_messages')
    .select(['role', 'content'])
    .where('session_id', '=', job.session_id)
    .where('position', '<', message.position)
    .orderBy('position')
    .execute();
  // Steps of earlier attempts the agent may replay instead of running them again.
  const replay = Number(job.attempts) > 1 ? (await readReplayableSteps(engine.db, job.id)).map(toAgentStep) : [];
  const base = job.base_version_id
    ? await engine.db.selectFrom('vector_code_versions').select('storage_ref').where('id', '=', job.base_version_id).executeTakeFirstOrThrow()
    : null;
  const backend = storageFor(engine, project);
  const storageProject = toStorageProject(project);
  let listing: Promise<FileEntry[]> | null = null;
  const files: AgentProjectFiles = {
    list: () => {
      listing ??= base ? backend.listFiles({ project: storageProject, ref: base.storage_ref }) : Promise.resolve([]);
      return listing;
    },
    read: async (path) => {
      if (!base) return null;
      const file = await backend.getFile({ project: storageProject, ref: base.storage_ref, path: normalizeFilePath(path) });
      return file?.content ?? null;
    },
    readText: async (path) => {
      const bytes = await files.read(path);
      return bytes === null || isBinaryContent(bytes) ? null : decodeText(bytes);
    },
  };
  return {
    job: {
      id: job.id,
      ...toJobCounters(job),
      baseVersionId: job.base_version_id,
    },
    project: { id: project.id, organizationId: project.organization_id, name: project.name },
    session: { id: session.id, settings: fromJson(session.settings) },
    message: { id: message.id, content: message.content },
    history: history.map((entry) => ({ role: entry.role as 'user' | 'assistant' | 'system', content: entry.content })),
    files,
    replay: replay.map(({ index, kind, name, model, inputDigest, output, usage }) => ({ index, kind, name, model, inputDigest, output, usage })),
    priceOf: (model) => engine.prices.priceOf(model),
    signal,
  };
}

async function finishWith(engine: EngineContext, job: JobRow, outcome: Exclude<JobOutcome, { status: 'complete' }>): Promise<void> {
  // The job's `vector.job.run` span is the active one here: it records how the job ended.
  const span = trace.getActiveSpan();
  span?.setAttribute('vector.job.status', outcome.status);
  if (outcome.status === 'failed') {
    span?.setAttribute('error.type', outcome.error.code);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.code });
  }
  const row = await engine.transaction((trx, afterCommit) => finishJob(engine, trx, afterCommit, job, outcome));
  if (row) announce(engine, row);
}

function finishFailed(engine: EngineContext, job: JobRow, error: ErrorInfo): Promise<void> {
  return finishWith(engine, job, { status: 'failed', error });
}

function finishCancelled(engine: EngineContext, job: JobRow, reason: string): Promise<void> {
  return finishWith(engine, job, { status: 'cancelled', reason });
}

/**
 * Hands a job interrupted by shutdown back to the queue, as if it had never started, and
 * enqueues it again so another worker (or this one, after a restart) picks it up. A job whose
 * cancellation was requested meanwhile is finished as cancelled instead.
 */
async function requeue(engine: EngineContext, job: JobRow): Promise<void> {
  const current = await readJobOwnership(engine.db, job.id);
  if (current?.cancel_requested_at) return finishCancelled(engine, job, 'cancelled while running');
  const row = await engine.transaction((trx, afterCommit) => requeueJob(engine, trx, afterCommit, job));
  if (!row) return;
  announce(engine, row);
  await engine.queue.enqueue(job.id);
}

async function finishComplete(engine: EngineContext, job: JobRow, result: ResultEvent): Promise<void> {
  const project = await engine.db.selectFrom('vector_projects').selectAll().where('id', '=', job.project_id).executeTakeFirst();
  if (!project) return;
  const agentActor = { type: 'agent' as const, id: job.agent_type };

  // Everything that marks the job done is committed with the version (or alone, for answers).
  const complete = async (trx: Parameters<NonNullable<Parameters<typeof writeVersion>[1]['alsoInTransaction']>>[0], afterCommit: (callback: () => void) => void, versionId: string | null) => {
    const message = await appendChatMessage(engine, trx, {
      session_id: job.session_id,
      project_id: job.project_id,
      organization_id: job.organization_id,
      role: 'assistant',
      content: result.summary,
      job_id: job.id,
      version_id: versionId,
      created_by: `agent:${job.agent_type}`,
    });
    const updated = await finishJob(engine, trx, afterCommit, job, { status: 'complete', resultVersionId: versionId, messageId: message.id });
    if (!updated) {
      // Roll the version back with everything else: the job was cancelled at the last
      // moment, or another worker took it over while this one stalled.
      const state = await readJobOwnership(trx, job.id);
      if (state && state.worker_id === engine.workerId && state.cancel_requested_at !== null) throw new CancelledError({ message: 'The job was cancelled before its result was saved' });
      throw new OwnershipLost();
    }
    afterCommit(() => announce(engine, updated));
  };

  try {
    if (result.changes.length === 0) {
      await engine.transaction((trx, afterCommit) => complete(trx, afterCommit, null));
      return;
    }
    const changes: FileChange[] = result.changes.map((change) =>
      change.type === 'delete' ? { type: 'delete', path: change.path } : { type: 'write', path: change.path, content: typeof change.content === 'string' ? encodeText(change.content) : change.content },
    );
    await writeVersion(engine, {
      project,
      actor: agentActor,
      parentVersionId: job.base_version_id,
      changes,
      message: result.commitMessage,
      source: 'ai_generation',
      jobId: job.id,
      validationStatus: result.validationStatus,
      validationCheck: result.validationCheck,
      // Saved even when validation still fails, so the user can carry on from it; the status says so.
      generationStatus: result.validationStatus === 'failed' ? 'incomplete' : 'completed',
      alsoInTransaction: (trx, afterCommit, version) => complete(trx, afterCommit, version.id),
    });
  } catch (error) {
    if (error instanceof OwnershipLost) return;
    if (CancelledError.isInstance(error)) return finishCancelled(engine, job, 'cancelled before its result was saved');
    return finishFailed(engine, job, errorInfo(error));
  }
}
