import { z } from 'zod';
import { parseInput } from '../../errors/from-zod.js';
import { LimitExceededError } from '../../errors/limit-exceeded-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import type { AgentJob } from '../../schemas/agent-job.js';
import { idSchema } from '../../schemas/common.js';
import { createSessionInputSchema, jobEventsOptionsInputSchema, jobFilterInputSchema, jobStepsOptionsInputSchema, postMessageInputSchema } from '../../schemas/inputs.js';
import { writeAudit } from '../audit/audit-writer.js';
import { toJson } from '../store/json-column.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toAgentJob, toAgentStep, toChatMessage, toJobEvent, toSession } from '../store/row-mappers.js';
import { monthToDateCostUsd } from '../usage/usage-api.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import { loadProject, type ScopeContext } from '../scope-context.js';
import type { AgentApi } from '../vector-types.js';
import { appendChatMessage, cancelJob, insertJob, insertSession, type JobRow } from './job-store.js';
import { isTerminalJobStatus } from '../../helpers/settled-statuses.js';
import { handOn } from './job-runner.js';
import { captureTraceContext } from '../telemetry/engine-telemetry.js';

/** Agent sessions, messages and jobs of one organization. */
export function createAgentApi(scope: ScopeContext): AgentApi {
  const { engine, organizationId, actor } = scope;
  const { db } = engine;
  const actorName = `${actor.type}:${actor.id}`;

  async function loadSession(sessionId: string) {
    const id = parseInput(idSchema, sessionId, 'session id');
    const row = await db.selectFrom('vector_agent_sessions').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'session', id });
    return row;
  }

  async function loadJob(jobId: string) {
    const id = parseInput(idSchema, jobId, 'job id');
    const row = await db.selectFrom('vector_agent_jobs').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'job', id });
    return row;
  }

  /** New jobs are refused once this month's spending reaches the organization's ceiling. */
  async function checkMonthlyCeiling() {
    const organization = await db.selectFrom('vector_organizations').select('monthly_budget_usd').where('id', '=', organizationId).executeTakeFirst();
    const ceiling = organization?.monthly_budget_usd;
    if (ceiling === null || ceiling === undefined) return;
    const spent = await monthToDateCostUsd(db, organizationId, engine.now());
    if (spent >= Number(ceiling)) {
      throw new BudgetExceededError({
        budget: 'organization_monthly_cost',
        message: `This organization's model calls cost $${spent.toFixed(2)} this month, which reaches its monthly budget of $${Number(ceiling)}; raise the budget or wait for next month`,
        details: { spentUsd: spent, monthlyBudgetUsd: Number(ceiling) },
      });
    }
  }

  return {
    async createSession(input) {
      const parsed = parseInput(createSessionInputSchema, input, 'session');
      const project = await loadProject(scope, parsed.projectId);
      const agentType = parsed.agentType ?? engine.defaultAgent;
      if (!agentType || !engine.agents.has(agentType)) {
        throw new ValidationError({
          message: `Unknown agent type ${agentType ?? '(none registered)'}; registered: ${[...engine.agents.keys()].join(', ') || 'none'}`,
          issues: [{ path: ['agentType'], message: 'not registered' }],
        });
      }
      const now = engine.nowIso();
      const row = {
        id: engine.newId(),
        project_id: project.id,
        organization_id: organizationId,
        agent_type: agentType,
        title: parsed.title,
        settings: toJson(parsed.settings),
        message_counter: 0,
        created_by: actorName,
        created_at: now,
        updated_at: now,
      };
      return engine.transaction(async (trx, afterCommit) => {
        await insertSession(trx, row);
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: project.id, actor, action: 'session.create', entityType: 'session', entityId: row.id, afterId: row.id, data: { agentType } });
        return toSession(row);
      });
    },

    async listSessions(projectId, page) {
      const project = await loadProject(scope, projectId);
      const { limit, cursor } = readPage(page);
      let query = db.selectFrom('vector_agent_sessions').selectAll().where('project_id', '=', project.id).orderBy('created_at').orderBy('id').limit(limit + 1);
      if (cursor) query = query.where(afterCreatedCursor(cursor, 'asc'));
      return toPage(await query.execute(), limit, toSession, (row) => ({ key: row.created_at, id: row.id }));
    },

    async getSession(sessionId) {
      return toSession(await loadSession(sessionId));
    },

    async postMessage(input) {
      const parsed = parseInput(postMessageInputSchema, input, 'message');
      const session = await loadSession(parsed.sessionId);
      const project = await loadProject(scope, session.project_id);
      // The engine's budget is a ceiling: callers may ask for less, never for more.
      const ceiling = engine.settings.jobBudget;
      const budget = {
        maxSteps: Math.min(parsed.budget?.maxSteps ?? ceiling.maxSteps, ceiling.maxSteps),
        maxTokens: Math.min(parsed.budget?.maxTokens ?? ceiling.maxTokens, ceiling.maxTokens),
        maxCostUsd: lowerOf(parsed.budget?.maxCostUsd ?? null, ceiling.maxCostUsd),
      };
      await checkMonthlyCeiling();
      // Set when posted inside a span (e.g. an HTTP request's): the job's run joins that trace.
      const traceContext = captureTraceContext();
      const result = await engine.transaction(async (trx, afterCommit) => {
        const jobId = engine.newId();
        const messageRow = await appendChatMessage(engine, trx, {
          session_id: session.id,
          project_id: project.id,
          organization_id: organizationId,
          role: 'user',
          content: parsed.content,
          job_id: jobId,
          version_id: null,
          created_by: actorName,
        });
        const now = messageRow.created_at;
        const jobRow: JobRow = {
          id: jobId,
          project_id: project.id,
          organization_id: organizationId,
          session_id: session.id,
          message_id: messageRow.id,
          agent_type: session.agent_type,
          status: 'queued',
          job_type: null,
          base_version_id: project.current_version_id,
          result_version_id: null,
          plan: null,
          error: null,
          max_steps: budget.maxSteps,
          max_tokens: budget.maxTokens,
          max_cost_usd: budget.maxCostUsd,
          prompt_tokens: 0,
          cached_tokens: 0,
          completion_tokens: 0,
          total_tokens: 0,
          steps: 0,
          step_counter: 0,
          cost_usd: 0,
          unpriced_calls: 0,
          attempts: 0,
          event_counter: 0,
          worker_id: null,
          heartbeat_at: null,
          cancel_requested_at: null,
          created_by: actorName,
          created_at: now,
          started_at: null,
          finished_at: null,
          trace_context: traceContext,
        };
        await insertJob(engine, trx, afterCommit, jobRow);
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: project.id, actor, action: 'job.create', entityType: 'job', entityId: jobId, afterId: jobId, data: { sessionId: session.id, agentType: session.agent_type } });
        const job = toAgentJob(jobRow);
        afterCommit(() => engine.events.emit('job.updated', { organizationId, projectId: project.id, job }));
        return { message: toChatMessage(messageRow), job };
      });
      // The row is committed first: if enqueueing is lost (a crash), start() finds the job queued.
      await engine.queue.enqueue(result.job.id);
      return result;
    },

    async listMessages(sessionId, page) {
      const session = await loadSession(sessionId);
      const { limit, cursor } = readPage(page, 'number');
      let query = db.selectFrom('vector_chat_messages').selectAll().where('session_id', '=', session.id).orderBy('position').limit(limit + 1);
      if (cursor) query = query.where('position', '>', Number(cursor.key));
      return toPage(await query.execute(), limit, toChatMessage, (row) => ({ key: Number(row.position), id: row.id }));
    },

    async getJob(jobId) {
      return toAgentJob(await loadJob(jobId));
    },

    async listJobs(filter, page) {
      const parsed = parseInput(jobFilterInputSchema, filter ?? {}, 'job filter');
      const { limit, cursor } = readPage(page);
      let query = db.selectFrom('vector_agent_jobs').selectAll().where('organization_id', '=', organizationId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (parsed.projectId) query = query.where('project_id', '=', parsed.projectId);
      if (parsed.sessionId) query = query.where('session_id', '=', parsed.sessionId);
      if (parsed.status) query = query.where('status', '=', parsed.status);
      if (cursor) query = query.where(afterCreatedCursor(cursor, 'desc'));
      return toPage(await query.execute(), limit, toAgentJob, (row) => ({ key: row.created_at, id: row.id }));
    },

    async listJobEvents(jobId, options) {
      const job = await loadJob(jobId);
      const parsed = parseInput(jobEventsOptionsInputSchema, options ?? {}, 'event query');
      const rows = await db
        .selectFrom('vector_agent_job_events')
        .selectAll()
        .where('job_id', '=', job.id)
        .where('sequence', '>', parsed.afterSequence)
        .orderBy('sequence')
        .limit(parsed.limit)
        .execute();
      return rows.map(toJobEvent);
    },

    async listSteps(jobId, options) {
      const job = await loadJob(jobId);
      const parsed = parseInput(jobStepsOptionsInputSchema, options ?? {}, 'step query');
      const rows = await db.selectFrom('vector_agent_steps').selectAll().where('job_id', '=', job.id).where('step_index', '>', parsed.afterIndex).orderBy('step_index').limit(parsed.limit).execute();
      return rows.map(toAgentStep);
    },

    async cancelJob(jobId) {
      const job = await loadJob(jobId);
      if (isTerminalJobStatus(job.status)) return toAgentJob(job);
      const updated = await engine.transaction(async (trx, afterCommit) => {
        // A queued job is cancelled outright; a running one is flagged and its worker stops it.
        const row = await cancelJob(engine, trx, afterCommit, job, `cancelled by ${actorName} before it started`);
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: job.project_id, actor, action: 'job.cancel', entityType: 'job', entityId: job.id });
        const next = toAgentJob(row);
        afterCommit(() => engine.events.emit('job.updated', { organizationId, projectId: job.project_id, job: next }));
        return next;
      });
      const local = engine.runningJobs.get(job.id);
      if (local) {
        local.reason = 'cancel';
        local.controller.abort(new Error('cancelled'));
      }
      // A queued job cancelled outright may have been the one its project's next job waited for.
      if (updated.status === 'cancelled') await handOn(engine, job.project_id);
      return updated;
    },

    async waitForJob(jobId, options) {
      const timeoutMs = parseInput(z.number().int().min(1).max(3_600_000).default(60_000), options?.timeoutMs, 'timeout');
      const id = (await loadJob(jobId)).id;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = toAgentJob(await loadJob(id));
        if (isTerminalJobStatus(job.status)) return job;
        if (Date.now() >= deadline) throw new LimitExceededError({ limit: 'wait_timeout', message: `Job ${id} did not finish within ${timeoutMs} ms (status ${job.status})` });
        await waitForUpdate(engine.events, id, Math.min(250, deadline - Date.now()));
      }
    },
  };
}

function waitForUpdate(events: ScopeContext['engine']['events'], jobId: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const onUpdate = (payload: { job: AgentJob }) => {
      if (payload.job.id === jobId) finish();
    };
    const timer = setTimeout(() => finish(), ms);
    function finish() {
      clearTimeout(timer);
      events.off('job.updated', onUpdate);
      resolve();
    }
    events.on('job.updated', onUpdate);
  });
}

/** The lower of two limits, where null is no limit. */
function lowerOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
