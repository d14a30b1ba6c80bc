import { createScriptedAgent, type AgentEvent } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { useServer } from './server-fixture.js';

// gpt-4o-mini at the engine's default prices: $0.15 per million input tokens, $0.075 cached, $0.60 output.
const planCost = (1000 * 0.15 + 500 * 0.6) / 1_000_000; // 0.00045
const draftCost = (1000 * 0.15 + 1000 * 0.075 + 100 * 0.6) / 1_000_000; // 0.000285
const jobCost = planCost + draftCost;

/**
 * An agent whose model calls have prices: a `step` of kind model, a tool `step`, a model call
 * reported the simpler way (a `usage` event, with cached tokens), and a call of a model no price
 * is known for.
 */
const pricedAgent = createScriptedAgent({
  type: 'priced',
  script: async function* (context): AsyncGenerator<AgentEvent> {
    yield { type: 'step', kind: 'model', name: 'plan', model: 'gpt-4o-mini', inputDigest: 'plan-1', output: { plan: ['write'] }, usage: { promptTokens: 1000, completionTokens: 500, totalTokens: 1500 }, durationMs: 12 };
    yield { type: 'step', kind: 'tool', name: 'write_file', inputDigest: 'write-1', output: { path: 'notes.md' }, durationMs: 3 };
    yield { type: 'usage', model: 'gpt-4o-mini', usage: { promptTokens: 2000, cachedTokens: 1000, completionTokens: 100, totalTokens: 2100 } };
    yield { type: 'step', kind: 'model', name: 'review', model: 'house-model', inputDigest: 'review-1', output: 'fine', usage: { promptTokens: 300, completionTokens: 50, totalTokens: 350 }, durationMs: 7 };
    yield { type: 'result', changes: [{ type: 'write', path: 'notes.md', content: context.message.content }], commitMessage: 'notes', summary: 'Saved.', validationStatus: 'not_run' };
  },
});

interface Step {
  index: number;
  kind: string;
  name: string;
  model: string | null;
  projectId: string;
  costUsd: number | null;
  usage: { promptTokens: number; cachedTokens: number; completionTokens: number; totalTokens: number };
  createdAt: string;
}

/** What a usage summary should say for these steps. */
function figuresOf(steps: Step[]) {
  const models = steps.filter((step) => step.kind === 'model');
  const sum = (pick: (step: Step) => number) => steps.reduce((total, step) => total + pick(step), 0);
  const unpriced = models.filter((step) => step.costUsd === null).length;
  return {
    modelCalls: models.length,
    toolCalls: steps.length - models.length,
    promptTokens: sum((step) => step.usage.promptTokens),
    cachedTokens: sum((step) => step.usage.cachedTokens),
    completionTokens: sum((step) => step.usage.completionTokens),
    totalTokens: sum((step) => step.usage.totalTokens),
    // Null, never 0, when there were model calls and none had a price.
    costUsd: models.length > 0 && unpriced === models.length ? null : expect.closeTo(sum((step) => step.costUsd ?? 0), 12),
    unpricedModelCalls: unpriced,
  };
}

describeEachDatabase('job steps, usage and budgets', (database) => {
  const get = useServer(database, { agents: [createScriptedAgent(), pricedAgent] });

  /** Runs one job of the priced agent in a new project and answers the finished job. */
  async function runPricedJob(name: string, body: Record<string, unknown> = {}) {
    const { call, vector, organizationId } = get();
    const project = (await call('POST', '/v1/projects', { name })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, { agentType: 'priced' })).json;
    const posted = await call('POST', `/v1/sessions/${session.id}/messages`, { content: `hello from ${name}`, ...body });
    expect(posted.status, JSON.stringify(posted.json)).toBe(202);
    await vector.scope({ organizationId, actor: { type: 'user', id: 'test' } }).agent.waitForJob(posted.json.job.id, { timeoutMs: 10_000 });
    const job = await call('GET', `/v1/jobs/${posted.json.job.id}`);
    return { project, session, posted: posted.json, job: job.json };
  }

  it("answers a finished job's steps in order, pages them, and hides them from other organizations", async () => {
    const { app, call, key, otherKey } = get();
    const { job } = await runPricedJob('steps');
    expect(job).toMatchObject({ status: 'complete', steps: 3, unpricedModelCalls: 1, usage: { promptTokens: 3300, cachedTokens: 1000, completionTokens: 650, totalTokens: 3950 } });
    expect(job.costUsd).toBeCloseTo(jobCost, 12);

    const steps = await call('GET', `/v1/jobs/${job.id}/steps`);
    expect(steps.status).toBe(200);
    expect(steps.json.items).toHaveLength(4);
    expect(steps.json.items.map((step: Step) => [step.index, step.kind, step.name, step.model])).toEqual([
      [1, 'model', 'plan', 'gpt-4o-mini'],
      [2, 'tool', 'write_file', null],
      [3, 'model', 'gpt-4o-mini', 'gpt-4o-mini'],
      [4, 'model', 'review', 'house-model'],
    ]);
    const [plan, tool, draft, review] = steps.json.items;
    expect(plan).toMatchObject({ jobId: job.id, projectId: job.projectId, sessionId: job.sessionId, attempt: 1, inputDigest: 'plan-1', output: { plan: ['write'] }, status: 'succeeded', error: null, durationMs: 12 });
    expect(plan.usage).toEqual({ promptTokens: 1000, cachedTokens: 0, completionTokens: 500, totalTokens: 1500 });
    expect(plan.costUsd).toBeCloseTo(planCost, 12);
    expect(tool).toMatchObject({ output: { path: 'notes.md' }, costUsd: null, usage: { promptTokens: 0, cachedTokens: 0, completionTokens: 0, totalTokens: 0 } });
    expect(draft.usage).toEqual({ promptTokens: 2000, cachedTokens: 1000, completionTokens: 100, totalTokens: 2100 });
    expect(draft.costUsd).toBeCloseTo(draftCost, 12);
    expect(review).toMatchObject({ output: 'fine', costUsd: null });
    // The job's totals are the sum of its steps.
    const figures = figuresOf(steps.json.items);
    expect({ promptTokens: figures.promptTokens, cachedTokens: figures.cachedTokens, completionTokens: figures.completionTokens, totalTokens: figures.totalTokens }).toEqual(job.usage);

    // Paging by index.
    const page = await call('GET', `/v1/jobs/${job.id}/steps?afterIndex=1&limit=2`);
    expect(page.json.items.map((step: Step) => step.index)).toEqual([2, 3]);
    expect((await call('GET', `/v1/jobs/${job.id}/steps?afterIndex=4`)).json.items).toEqual([]);
    // Past any index an integer column holds (PostgreSQL's int4): still no steps, not a 500.
    for (const afterIndex of [2_147_483_648, Number.MAX_SAFE_INTEGER]) {
      const past = await call('GET', `/v1/jobs/${job.id}/steps?afterIndex=${afterIndex}`);
      expect({ afterIndex, status: past.status, items: past.json.items }).toEqual({ afterIndex, status: 200, items: [] });
    }
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'afterIndex=-1', 'afterIndex=1.5', 'afterIndex=', 'limit=1e309']) {
      const bad = await call('GET', `/v1/jobs/${job.id}/steps?${query}`);
      expect({ query, status: bad.status, code: bad.json.error?.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }

    // The job's log announces each step: `step` events with their index and cost, the `usage` event as sent.
    const log = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events`, headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
    const events = log.json().items.map((event: { data: { type: string } }) => event.data);
    const pastTheEnd = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events?lastEventId=${Number.MAX_SAFE_INTEGER}`, headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
    expect({ status: pastTheEnd.statusCode, items: pastTheEnd.json().items }).toEqual({ status: 200, items: [] });
    expect(events.filter((event: { type: string }) => event.type === 'step' || event.type === 'usage')).toEqual([
      { type: 'step', index: 1, kind: 'model', name: 'plan', model: 'gpt-4o-mini', status: 'succeeded', usage: plan.usage, costUsd: plan.costUsd, durationMs: 12 },
      { type: 'step', index: 2, kind: 'tool', name: 'write_file', model: null, status: 'succeeded', usage: null, costUsd: null, durationMs: 3 },
      { type: 'usage', model: 'gpt-4o-mini', usage: { promptTokens: 2000, cachedTokens: 1000, completionTokens: 100, totalTokens: 2100 } },
      { type: 'step', index: 4, kind: 'model', name: 'review', model: 'house-model', status: 'succeeded', usage: { promptTokens: 300, cachedTokens: 0, completionTokens: 50, totalTokens: 350 }, costUsd: null, durationMs: 7 },
    ]);

    // Another organization: 404, like every job route; unknown ids too.
    const foreign = await call('GET', `/v1/jobs/${job.id}/steps`, undefined, otherKey);
    expect({ status: foreign.status, code: foreign.json.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect((await call('GET', '/v1/jobs/no-such-job/steps')).status).toBe(404);
  });

  it("sums the organization's steps by day, project and model, filtered, for admins", async () => {
    const { call, otherKey } = get();
    const first = await runPricedJob('first');
    const second = await runPricedJob('second');
    const firstSteps: Step[] = (await call('GET', `/v1/jobs/${first.job.id}/steps`)).json.items;
    const secondSteps: Step[] = (await call('GET', `/v1/jobs/${second.job.id}/steps`)).json.items;
    const all = [...firstSteps, ...secondSteps];

    // Default: the last 7 days, by day.
    const summary = await call('GET', '/v1/usage');
    expect(summary.status, JSON.stringify(summary.json)).toBe(200);
    expect(summary.json.groupBy).toEqual(['day']);
    expect(Date.parse(summary.json.range.end) - Date.parse(summary.json.range.start)).toBe(7 * 86_400_000);
    expect(summary.json.totals).toEqual(figuresOf(all));
    expect(summary.json.totals).toMatchObject({ modelCalls: 6, toolCalls: 2, unpricedModelCalls: 2 });
    expect(summary.json.totals.costUsd).toBeCloseTo(2 * jobCost, 12);
    const days = [...new Set(all.map((step) => step.createdAt.slice(0, 10)))].sort();
    expect(summary.json.rows.map((row: { day: string }) => row.day)).toEqual(days);
    for (const row of summary.json.rows) {
      expect(row).toEqual({ day: row.day, ...figuresOf(all.filter((step) => step.createdAt.startsWith(row.day))) });
    }

    // By model: one row per model, tool calls under null; unpriced models have a null cost.
    const byModel = (await call('GET', '/v1/usage?groupBy=model')).json;
    expect(byModel.groupBy).toEqual(['model']);
    const sortedByModel = [...byModel.rows].sort((a, b) => String(a.model).localeCompare(String(b.model)));
    expect(sortedByModel).toEqual(
      ['gpt-4o-mini', 'house-model', null]
        .sort((a, b) => String(a).localeCompare(String(b)))
        .map((model) => ({ model, ...figuresOf(all.filter((step) => step.model === model)) })),
    );
    expect(byModel.rows.find((row: { model: string | null }) => row.model === 'house-model')).toMatchObject({ modelCalls: 2, costUsd: null, unpricedModelCalls: 2 });

    // By project and model: comma-separated and repeated parameters are the same list.
    const byProjectAndModel = (await call('GET', '/v1/usage?groupBy=project,model')).json;
    const repeated = (await call('GET', '/v1/usage?groupBy=project&groupBy=model')).json;
    expect({ ...repeated, range: null }).toEqual({ ...byProjectAndModel, range: null });
    expect(byProjectAndModel.groupBy).toEqual(['project', 'model']);
    expect(byProjectAndModel.rows).toHaveLength(6);
    for (const row of byProjectAndModel.rows) {
      expect(row).not.toHaveProperty('day');
      expect(row).toEqual({ projectId: row.projectId, model: row.model, ...figuresOf(all.filter((step) => step.projectId === row.projectId && step.model === row.model)) });
    }
    // Empty: totals only.
    const totalsOnly = (await call('GET', '/v1/usage?groupBy=')).json;
    expect(totalsOnly).toMatchObject({ groupBy: [], rows: [] });
    expect(totalsOnly.totals).toEqual(summary.json.totals);

    // Filters: one project, one session, one job.
    const byProject = (await call('GET', `/v1/usage?groupBy=project&projectId=${first.project.id}`)).json;
    expect(byProject.rows).toEqual([{ projectId: first.project.id, ...figuresOf(firstSteps) }]);
    expect((await call('GET', `/v1/usage?sessionId=${second.session.id}`)).json.totals).toEqual(figuresOf(secondSteps));
    const byJob = (await call('GET', `/v1/usage?jobId=${first.job.id}&groupBy=`)).json.totals;
    expect(byJob).toEqual(figuresOf(firstSteps));
    expect(byJob.costUsd).toBeCloseTo(first.job.costUsd, 12);

    // A range: start inclusive, end exclusive.
    const from = firstSteps[0]?.createdAt as string;
    const inRange = (await call('GET', `/v1/usage?start=${encodeURIComponent(from)}&end=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&groupBy=`)).json;
    expect(inRange.range.start).toBe(new Date(from).toISOString());
    expect(inRange.totals).toEqual(figuresOf(all.filter((step) => step.createdAt >= from)));
    const before = (await call('GET', `/v1/usage?end=${encodeURIComponent(from)}`)).json;
    expect(before).toMatchObject({ rows: [], totals: { modelCalls: 0, toolCalls: 0, totalTokens: 0, costUsd: 0, unpricedModelCalls: 0 } });

    // Bad queries are 400 VALIDATION_FAILED, never 500.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    for (const query of [
      'groupBy=week',
      'groupBy=day,week',
      'groupBy=day,day',
      'groupBy=day,project,model,day',
      'start=yesterday',
      'end=2026-13-01T00:00:00Z',
      `start=${encodeURIComponent(later)}&end=${encodeURIComponent(from)}`,
      `start=${encodeURIComponent(from)}&end=${encodeURIComponent(from)}`,
      'start=a&start=b',
      `projectId=${'x'.repeat(129)}`,
    ]) {
      const bad = await call('GET', `/v1/usage?${query}`);
      expect({ query, status: bad.status, code: bad.json.error?.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }

    // Admins and owners read usage, like the audit log; members do not.
    const admin = (await call('POST', '/v1/api-keys', { name: 'admin', role: 'admin' })).json;
    const member = (await call('POST', '/v1/api-keys', { name: 'member', role: 'member' })).json;
    expect((await call('GET', '/v1/usage?groupBy=', undefined, admin.key)).json.totals).toEqual(summary.json.totals);
    const refused = await call('GET', '/v1/usage', undefined, member.key);
    expect({ status: refused.status, code: refused.json.error.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    // Another organization sees only its own (no) spending, even when it names these ids.
    const foreign = (await call('GET', `/v1/usage?jobId=${first.job.id}`, undefined, otherKey)).json;
    expect(foreign).toMatchObject({ rows: [], totals: { modelCalls: 0, toolCalls: 0, totalTokens: 0, costUsd: 0 } });
  });

  it("refuses new messages with 402 BUDGET_EXCEEDED once the month's spending reaches the organization's budget", async () => {
    const { app, call, otherKey } = get();
    const admin = (await call('POST', '/v1/api-keys', { name: 'admin', role: 'admin' })).json;
    const member = (await call('POST', '/v1/api-keys', { name: 'member', role: 'member' })).json;
    expect((await call('GET', '/v1/organization')).json.monthlyBudgetUsd).toBeNull();
    // An organization may start with a budget.
    const created = await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: 'Budgeted', monthlyBudgetUsd: 25 } });
    expect(created.statusCode).toBe(201);
    expect(created.json().organization).toMatchObject({ name: 'Budgeted', monthlyBudgetUsd: 25 });

    // Setting the budget is an admin's organization setting, like renaming.
    const forbidden = await call('PATCH', '/v1/organization', { monthlyBudgetUsd: 1 }, member.key);
    expect({ status: forbidden.status, code: forbidden.json.error.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    for (const body of [{ monthlyBudgetUsd: 0 }, { monthlyBudgetUsd: -1 }, { monthlyBudgetUsd: '1' }, { monthlyBudgetUsd: 1e9 }, {}, { name: 'x', other: 1 }]) {
      const bad = await call('PATCH', '/v1/organization', body);
      expect({ body, status: bad.status, code: bad.json.error.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
    const set = await call('PATCH', '/v1/organization', { monthlyBudgetUsd: 0.0005 }, admin.key);
    expect(set.status, JSON.stringify(set.json)).toBe(200);
    expect(set.json).toMatchObject({ name: 'Acme', monthlyBudgetUsd: 0.0005 });
    expect((await call('PATCH', '/v1/organization', { name: 'Acme Inc' })).json).toMatchObject({ name: 'Acme Inc', monthlyBudgetUsd: 0.0005 });

    // Nothing spent yet: the first job runs, and costs more than the budget.
    const { session, job } = await runPricedJob('spender');
    expect(job.status).toBe('complete');
    expect(job.costUsd).toBeGreaterThan(0.0005);

    const refused = await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'one more' });
    expect(refused.status, JSON.stringify(refused.json)).toBe(402);
    expect(refused.json.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'organization_monthly_cost', monthlyBudgetUsd: 0.0005 } });
    expect(refused.json.error.details.spentUsd).toBeCloseTo(jobCost, 12);
    // No message and no job were added.
    expect((await call('GET', `/v1/sessions/${session.id}/messages`)).json.items.filter((message: { role: string }) => message.role === 'user')).toHaveLength(1);
    expect((await call('GET', `/v1/projects/${job.projectId}/jobs`)).json.items).toHaveLength(1);

    // Another organization has its own budget (none).
    const otherProject = (await call('POST', '/v1/projects', { name: 'other' }, otherKey)).json;
    const otherSession = (await call('POST', `/v1/projects/${otherProject.id}/sessions`, { agentType: 'priced' }, otherKey)).json;
    expect((await call('POST', `/v1/sessions/${otherSession.id}/messages`, { content: 'fine' }, otherKey)).status).toBe(202);

    // Raising the budget, or removing it, lets messages through again.
    expect((await call('PATCH', '/v1/organization', { monthlyBudgetUsd: 1 })).json.monthlyBudgetUsd).toBe(1);
    expect((await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'raised' })).status).toBe(202);
    await call('PATCH', '/v1/organization', { monthlyBudgetUsd: 0.0001 });
    expect((await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'lowered' })).status).toBe(402);
    expect((await call('PATCH', '/v1/organization', { monthlyBudgetUsd: null })).json.monthlyBudgetUsd).toBeNull();
    expect((await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'no budget' })).status).toBe(202);
  });

  it("takes a job's money budget in the message body and fails the job that would cross it", async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'budgeted' })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, { agentType: 'priced' })).json;
    for (const budget of [{ maxCostUsd: 0 }, { maxCostUsd: -1 }, { maxCostUsd: 'cheap' }, { maxCostUsd: 2_000_000 }]) {
      const bad = await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'x', budget });
      expect({ budget, status: bad.status, code: bad.json.error.code }).toEqual({ budget, status: 400, code: 'VALIDATION_FAILED' });
    }
    const unlimited = await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'no money budget', budget: { maxSteps: 10 } });
    expect(unlimited.json.job.budget).toMatchObject({ maxSteps: 10, maxCostUsd: null });

    const { job } = await runPricedJob('capped', { budget: { maxCostUsd: 0.0001 } });
    expect(job.budget.maxCostUsd).toBe(0.0001);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'BUDGET_EXCEEDED' } });
    // The call that crossed the budget is recorded (it was paid for); nothing after it ran.
    const steps = (await call('GET', `/v1/jobs/${job.id}/steps`)).json.items;
    expect(steps.map((step: Step) => step.name)).toEqual(['plan']);
    expect(job.costUsd).toBeCloseTo(planCost, 12);
  });
});
