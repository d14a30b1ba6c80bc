import { BudgetExceededError, costOfUsage, type JobBudgetInput, type ModelPrice, type TokenUsage } from '@vector/core';

/**
 * Counts the job's model calls, tokens and cost (every attempt's) against its budget, so the
 * agent stops before a call that would cross it (core enforces the same budgets on the steps
 * it records).
 */
export class JobMeter {
  readonly #budget: JobBudgetInput;
  readonly #priceOf: (model: string) => ModelPrice | null;
  steps = 0;
  tokens = 0;
  costUsd = 0;

  /** `spent` is what earlier attempts of the same job used (a job handed back to the queue). */
  constructor(budget: JobBudgetInput, spent: { steps?: number; usage?: TokenUsage; costUsd?: number } = {}, priceOf: (model: string) => ModelPrice | null = () => null) {
    this.#budget = budget;
    this.#priceOf = priceOf;
    this.steps = spent.steps ?? 0;
    this.tokens = spent.usage?.totalTokens ?? 0;
    this.costUsd = spent.costUsd ?? 0;
  }

  /** Throws before a call (of about `estimatedPromptTokens` prompt tokens to `model`) that would take the job past a budget. */
  beforeCall(estimatedPromptTokens: number, model: string): void {
    const budget = this.#budget;
    if (this.steps + 1 > budget.maxSteps) {
      throw new BudgetExceededError({ budget: 'job_steps', message: `The job reached its budget of ${budget.maxSteps} model calls before finishing`, details: { steps: this.steps } });
    }
    if (this.tokens + estimatedPromptTokens > budget.maxTokens) {
      throw new BudgetExceededError({
        budget: 'job_tokens',
        message: `The next model call (about ${estimatedPromptTokens} prompt tokens) would take the job past its budget of ${budget.maxTokens} tokens (${this.tokens} used)`,
        details: { tokens: this.tokens },
      });
    }
    const price = this.#priceOf(model);
    const maxCost = budget.maxCostUsd ?? null;
    if (maxCost !== null && price !== null) {
      // The prompt alone, at the uncached rate: a lower bound of what the call costs.
      const next = costOfUsage(price, { promptTokens: estimatedPromptTokens, completionTokens: 0, totalTokens: estimatedPromptTokens });
      if (this.costUsd + next > maxCost) {
        throw new BudgetExceededError({
          budget: 'job_cost',
          message: `The next model call (at least $${next.toFixed(6)}) would take the job past its budget of $${maxCost} ($${this.costUsd.toFixed(6)} spent)`,
          details: { costUsd: this.costUsd },
        });
      }
    }
  }

  /** Records a finished call. */
  record(model: string, usage: TokenUsage): void {
    this.steps += 1;
    this.tokens += usage.totalTokens;
    const price = this.#priceOf(model);
    if (price !== null) this.costUsd += costOfUsage(price, usage);
  }

  /** Throws when the recorded calls took the job past its token or money budget. */
  checkAfterCall(): void {
    const budget = this.#budget;
    if (this.tokens > budget.maxTokens) throw new BudgetExceededError({ budget: 'job_tokens', message: `The job used ${this.tokens} tokens; its budget is ${budget.maxTokens}`, details: { tokens: this.tokens } });
    const maxCost = budget.maxCostUsd ?? null;
    if (maxCost !== null && this.costUsd > maxCost) {
      throw new BudgetExceededError({ budget: 'job_cost', message: `The job's model calls cost $${this.costUsd.toFixed(6)}; its budget is $${maxCost}`, details: { costUsd: this.costUsd } });
    }
  }
}
