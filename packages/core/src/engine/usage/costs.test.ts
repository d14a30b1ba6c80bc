import { expect, it } from 'vitest';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import type { AgentEvent, TokenUsage } from '../../schemas/agent-event.js';
import type { AgentStep } from '../../schemas/agent-step.js';
import { createScriptedAgent } from '../../reference/index.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { useEngine } from '../../testing/engine-fixture.js';

// Odd prices (US dollars per million tokens), so a wrong formula cannot land on the right figure.
const prices = {
  'odd-a': { input: 0.37, cachedInput: 0.0123, output: 1.93 },
  'odd-b': { input: 7.77, output: 0.05 },
};
const usage = (promptTokens: number, completionTokens: number, cachedTokens?: number): TokenUsage => ({ promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, ...(cachedTokens === undefined ? {} : { cachedTokens }) });
const modelStep = (model: string, tokens: TokenUsage): AgentEvent => ({ type: 'step', kind: 'model', name: 'change', model, inputDigest: `sha256:${model}`, output: { content: 'ok' }, usage: tokens, durationMs: 7 });

// What each of the spender's model calls must cost, by hand: uncached input, cached input and output at their rates.
const expected = {
  first: ((1234 - 200) * 0.37 + 200 * 0.0123 + 567 * 1.93) / 1e6,
  second: (999 * 7.77 + 1 * 0.05) / 1e6,
  legacy: (100 * 0.37 + 50 * 1.93) / 1e6,
};

function spender() {
  return createScriptedAgent({
    type: 'spender',
    script: async function* (): AsyncIterable<AgentEvent> {
      yield modelStep('odd-a', usage(1234, 567, 200));
      yield { type: 'step', kind: 'tool', name: 'read_file', inputDigest: 'sha256:read', output: { ok: true }, durationMs: 3 };
      yield modelStep('odd-b', usage(999, 1));
      // A model nobody priced: its tokens count, its cost is unknown.
      yield modelStep('mystery', usage(10, 10));
      // An agent that reports a call with a plain `usage` event is priced the same way.
      yield { type: 'usage', model: 'odd-a', usage: usage(100, 50) };
      // A failed try spends no call of the budget and, here, no tokens.
      yield { type: 'step', kind: 'model', name: 'change', model: 'odd-a', durationMs: 2, status: 'failed', error: 'HTTP 500' };
      yield { type: 'result', changes: [], commitMessage: 'No code changes', summary: 'spent', validationStatus: 'not_run' };
    },
  });
}

// Each call costs $0.777 at odd-b's input rate; it never stops on its own.
function pricey() {
  return createScriptedAgent({
    type: 'pricey',
    script: async function* (): AsyncIterable<AgentEvent> {
      for (let call = 0; call < 20; call += 1) yield modelStep('odd-b', usage(100_000, 0));
      yield { type: 'result', changes: [], commitMessage: 'No code changes', summary: 'done', validationStatus: 'not_run' };
    },
  });
}

describeEachDatabase('step costs and usage', (database) => {
  const engine = useEngine(database, { agents: () => [spender(), pricey()], overrides: { modelPrices: prices, jobBudget: { maxSteps: 50, maxTokens: 10_000_000, maxCostUsd: 5 } } });

  async function run(agentType: string, budget?: { maxCostUsd?: number }, scope = engine().scope) {
    const project = await scope.projects.create({ name: `${agentType} app` });
    const session = await scope.agent.createSession({ projectId: project.id, agentType });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go', ...(budget ? { budget } : {}) });
    return { project, session, job: await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 }) };
  }

  it('prices each step at its model’s rates, sums them into the job, and reports unknown prices as null', async () => {
    const { scope } = engine();
    const { job } = await run('spender');
    expect(job.status).toBe('complete');
    const steps = await scope.agent.listSteps(job.id);
    const byIndex = (index: number) => steps.find((step) => step.index === index) as AgentStep;
    expect(steps.map((step) => [step.index, step.kind, step.model, step.status])).toEqual([
      [1, 'model', 'odd-a', 'succeeded'],
      [2, 'tool', null, 'succeeded'],
      [3, 'model', 'odd-b', 'succeeded'],
      [4, 'model', 'mystery', 'succeeded'],
      [5, 'model', 'odd-a', 'succeeded'],
      [6, 'model', 'odd-a', 'failed'],
    ]);
    expect(byIndex(1).costUsd).toBeCloseTo(expected.first, 12);
    expect(byIndex(1)).toMatchObject({ usage: { promptTokens: 1234, cachedTokens: 200, completionTokens: 567, totalTokens: 1801 }, inputDigest: 'sha256:odd-a', output: { content: 'ok' }, durationMs: 7, attempt: 1 });
    expect(byIndex(2)).toMatchObject({ costUsd: null, usage: { totalTokens: 0 }, name: 'read_file' });
    expect(byIndex(3).costUsd).toBeCloseTo(expected.second, 12);
    expect(byIndex(4)).toMatchObject({ costUsd: null, usage: { totalTokens: 20 } });
    expect(byIndex(5).costUsd).toBeCloseTo(expected.legacy, 12);
    expect(byIndex(5)).toMatchObject({ name: 'odd-a', inputDigest: null, output: null });
    expect(byIndex(6)).toMatchObject({ costUsd: 0, error: 'HTTP 500' });

    // The job: four model calls (the failed try is not one), its tokens and the sum of the priced costs.
    expect(job).toMatchObject({ steps: 4, unpricedModelCalls: 1, usage: { promptTokens: 1234 + 999 + 10 + 100, cachedTokens: 200, completionTokens: 567 + 1 + 10 + 50, totalTokens: 1801 + 1000 + 20 + 150 } });
    expect(job.costUsd).toBeCloseTo(expected.first + expected.second + expected.legacy, 12);
    const sumOfSteps = steps.reduce((sum, step) => sum + (step.costUsd ?? 0), 0);
    expect(job.costUsd).toBeCloseTo(sumOfSteps, 12);

    // The log announces each step (without its output) and the `usage` event as it came.
    const logged = (await scope.agent.listJobEvents(job.id)).map((event) => event.data);
    expect(logged.filter((data) => data.type === 'step').map((data) => (data.type === 'step' ? data.index : 0))).toEqual([1, 2, 3, 4, 6]);
    expect(logged.find((data) => data.type === 'step' && data.index === 3)).toMatchObject({ costUsd: expect.closeTo(expected.second, 12), usage: { totalTokens: 1000 } });
    expect(JSON.stringify(logged)).not.toContain('"output"');
    expect(logged.filter((data) => data.type === 'usage')).toHaveLength(1);
    expect(logged.at(-1)).toMatchObject({ type: 'done', steps: 4, usage: { totalTokens: 2971 } });
  });

  it('sums usage by day, project and model, and the totals match the jobs', async () => {
    const { scope } = engine();
    const one = await run('spender');
    const two = await run('spender');
    const total = (one.job.costUsd ?? 0) + (two.job.costUsd ?? 0);

    const summary = await scope.usage.summarize({ groupBy: ['project', 'model'] });
    expect(summary.totals).toMatchObject({ modelCalls: 8, toolCalls: 2, unpricedModelCalls: 2, totalTokens: 2 * 2971, cachedTokens: 400 });
    expect(summary.totals.costUsd).toBeCloseTo(total, 12);
    expect(summary.rows.reduce((sum, row) => sum + (row.costUsd ?? 0), 0)).toBeCloseTo(total, 12);
    const ofOne = summary.rows.filter((row) => row.projectId === one.project.id);
    expect(ofOne.map((row) => row.model ?? '(tool)').sort()).toEqual(['(tool)', 'mystery', 'odd-a', 'odd-b']);
    expect(ofOne.find((row) => row.model === 'mystery')).toMatchObject({ costUsd: null, modelCalls: 1, unpricedModelCalls: 1, totalTokens: 20 });
    expect(ofOne.find((row) => row.model === 'odd-a')?.costUsd).toBeCloseTo(expected.first + expected.legacy, 12);
    expect(ofOne.find((row) => row.model === 'odd-b')?.costUsd).toBeCloseTo(expected.second, 12);

    const byDay = await scope.usage.summarize();
    expect(byDay.groupBy).toEqual(['day']);
    expect(byDay.rows).toHaveLength(1);
    expect(byDay.rows[0]?.day).toBe(new Date().toISOString().slice(0, 10));
    expect(byDay.rows[0]?.costUsd).toBeCloseTo(total, 12);

    // One project, one session or one job: the same sums, filtered.
    expect((await scope.usage.summarize({ projectId: one.project.id, groupBy: [] })).totals.costUsd).toBeCloseTo(one.job.costUsd ?? 0, 12);
    expect((await scope.usage.summarize({ sessionId: two.session.id, groupBy: [] })).totals.costUsd).toBeCloseTo(two.job.costUsd ?? 0, 12);
    expect((await scope.usage.summarize({ jobId: one.job.id, groupBy: [] })).totals).toMatchObject({ modelCalls: 4, totalTokens: 2971 });

    // Nothing of it reaches another organization.
    const other = engine().otherScope;
    expect((await other.usage.summarize({ groupBy: [] })).totals).toMatchObject({ modelCalls: 0, toolCalls: 0, totalTokens: 0, costUsd: 0 });
    await expect(other.agent.listSteps(one.job.id)).rejects.toBeInstanceOf(NotFoundError);

    // A range that holds none of it, and bad queries.
    expect((await scope.usage.summarize({ start: '2020-01-01T00:00:00Z', end: '2020-02-01T00:00:00Z' })).totals.modelCalls).toBe(0);
    await expect(scope.usage.summarize({ groupBy: ['week' as 'day'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(scope.usage.summarize({ start: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('stops a job with BUDGET_EXCEEDED once its calls cost more than its money budget, within the engine’s ceiling', async () => {
    const { job } = await run('pricey', { maxCostUsd: 2 });
    expect(job.budget.maxCostUsd).toBe(2);
    // $0.777 a call: the third takes it to $2.331, past $2.
    expect(job).toMatchObject({ status: 'failed', steps: 3, error: { code: 'BUDGET_EXCEEDED' } });
    expect(job.costUsd).toBeCloseTo(3 * 0.777, 9);
    expect(job.error?.message).toContain('budget is $2');
    // Callers may ask for less than the engine's ceiling ($5), never more.
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'ceiling' });
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'pricey' });
    const { job: capped } = await scope.agent.postMessage({ sessionId: session.id, content: 'go', budget: { maxCostUsd: 100 } });
    expect(capped.budget.maxCostUsd).toBe(5);
    expect((await scope.agent.waitForJob(capped.id, { timeoutMs: 20_000 })).steps).toBe(7);
  });

  it('refuses new jobs once this month’s spending reaches the organization’s ceiling, and only that organization’s', async () => {
    const { scope, vector, organizationId, actor, advanceClock, otherScope } = engine();
    const updated = await vector.organizations.update(organizationId, { monthlyBudgetUsd: 0.001 }, actor);
    expect(updated.monthlyBudgetUsd).toBe(0.001);
    const { session } = await run('spender');
    let refused: unknown = null;
    try {
      await scope.agent.postMessage({ sessionId: session.id, content: 'again' });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect(refused).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'organization_monthly_cost' });
    // Another organization is not held by this one's ceiling.
    expect((await run('spender', undefined, otherScope)).job.status).toBe('complete');
    // Next month the count starts again.
    advanceClock(32 * 86_400_000);
    await expect(scope.agent.postMessage({ sessionId: session.id, content: 'next month' })).resolves.toMatchObject({ job: { status: 'queued' } });
    // Lifting the ceiling (null) lets jobs through at once.
    await vector.organizations.update(organizationId, { monthlyBudgetUsd: null }, actor);
    expect((await vector.organizations.get(organizationId)).monthlyBudgetUsd).toBeNull();
    await expect(vector.organizations.update(organizationId, { monthlyBudgetUsd: -1 }, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
