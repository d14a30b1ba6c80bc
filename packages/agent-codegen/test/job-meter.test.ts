import { BudgetExceededError } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { JobMeter } from '../src/job-meter.js';

// $10 per million input tokens, $1 cached, $30 output: odd enough that a wrong rate shows.
const price = { input: 10, cachedInput: 1, output: 30 };
const budget = (maxCostUsd: number | null) => ({ maxSteps: 50, maxTokens: 1_000_000, maxCostUsd });

function refusal(run: () => void): BudgetExceededError {
  try {
    run();
  } catch (error) {
    if (BudgetExceededError.isInstance(error)) return error as BudgetExceededError;
    throw error;
  }
  throw new Error('expected BUDGET_EXCEEDED');
}

describe('the codegen agent’s money budget', () => {
  it('stops before a call whose prompt alone would take the job past its money budget', () => {
    // Spent so far by an earlier attempt: $0.0009 of a $0.001 budget.
    const meter = new JobMeter(budget(0.001), { costUsd: 0.0009 }, (model) => (model === 'odd-model' ? price : null));
    // 5 prompt tokens cost at least $0.00005: still within.
    expect(() => meter.beforeCall(5, 'odd-model')).not.toThrow();
    // 20 prompt tokens cost at least $0.0002: refused before the call, naming the money budget.
    const error = refusal(() => meter.beforeCall(20, 'odd-model'));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.details).toMatchObject({ budget: 'job_cost', costUsd: 0.0009 });
    expect(error.message).toMatch(/at least \$0\.000200\) would take the job past its budget of \$0\.001/);
  });

  it('adds each finished call at its model’s rates, and stops after one that crossed the budget', () => {
    const meter = new JobMeter(budget(0.001), {}, () => price);
    meter.record('odd-model', { promptTokens: 40, cachedTokens: 0, completionTokens: 10, totalTokens: 50 });
    // 40 × $10 + 10 × $30 per million = $0.0007.
    expect(meter.costUsd).toBeCloseTo(0.0007, 12);
    expect(() => meter.checkAfterCall()).not.toThrow();
    meter.record('odd-model', { promptTokens: 20, cachedTokens: 0, completionTokens: 5, totalTokens: 25 });
    expect(refusal(() => meter.checkAfterCall()).details).toMatchObject({ budget: 'job_cost' });
  });

  it('cannot stop on money for a model without a price, nor without a money budget', () => {
    expect(() => new JobMeter(budget(0.001), { costUsd: 0.0009 }, () => null).beforeCall(1_000, 'unpriced')).not.toThrow();
    expect(() => new JobMeter(budget(null), { costUsd: 5 }, () => price).beforeCall(1_000, 'odd-model')).not.toThrow();
  });
});
