import { expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';
import { createRuntime } from '../src/runtime/create-runtime.js';

it('prices model calls with VECTOR_MODEL_PRICES and caps every job with VECTOR_JOB_MAX_COST_USD', async () => {
  // The demo agent reports its calls as model `scripted`, which has no default price.
  const config = loadConfig({ VECTOR_SQLITE_PATH: ':memory:', VECTOR_LOCAL_BUILDS: 'false', VECTOR_MODEL_PRICES: '{"scripted": {"input": 3.1, "output": 4.7}}', VECTOR_JOB_MAX_COST_USD: '0.25' });
  const runtime = await createRuntime(config, { info: () => undefined, warn: () => undefined });
  try {
    const { vector } = runtime;
    await vector.start();
    const actor = { type: 'user' as const, id: 'owner' };
    const organization = await vector.organizations.create({ name: 'Priced' }, actor);
    const scope = vector.scope({ organizationId: organization.id, actor });
    const project = await scope.projects.create({ name: 'app' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'Make a page', budget: { maxCostUsd: 10 } });
    // The server's ceiling wins over a caller asking for more.
    expect(job.budget.maxCostUsd).toBe(0.25);
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    expect(done.steps).toBeGreaterThan(0);
    expect(done.unpricedModelCalls).toBe(0);
    expect(done.costUsd).toBeCloseTo((done.usage.promptTokens * 3.1 + done.usage.completionTokens * 4.7) / 1e6, 12);
  } finally {
    await runtime.close();
  }
});
