import { type JobBudget, LimitExceededError, type TokenUsage } from '@vector/core';

/**
 * Counts this run's model calls and tokens against the job's budget, so the agent stops
 * before a call that would exceed it (core enforces the same budget on the `usage` events).
 */
export class JobMeter {
  readonly #budget: JobBudget;
  steps = 0;
  tokens = 0;

  /** `spent` is what earlier attempts of the same job used (a job handed back to the queue). */
  constructor(budget: JobBudget, spent: { steps?: number; usage?: TokenUsage } = {}) {
    this.#budget = budget;
    this.steps = spent.steps ?? 0;
    this.tokens = spent.usage?.totalTokens ?? 0;
  }

  /** Throws before a call that would take the job past its step or token budget. */
  beforeCall(estimatedPromptTokens: number): void {
    if (this.steps + 1 > this.#budget.maxSteps) {
      throw new LimitExceededError({ limit: 'job_steps', message: `The job reached its budget of ${this.#budget.maxSteps} model calls before finishing`, details: { steps: this.steps } });
    }
    if (this.tokens + estimatedPromptTokens > this.#budget.maxTokens) {
      throw new LimitExceededError({
        limit: 'job_tokens',
        message: `The next model call (about ${estimatedPromptTokens} prompt tokens) would take the job past its budget of ${this.#budget.maxTokens} tokens (${this.tokens} used)`,
        details: { tokens: this.tokens },
      });
    }
  }

  /** Records a finished call. */
  record(usage: TokenUsage): void {
    this.steps += 1;
    this.tokens += usage.totalTokens;
  }

  /** True when the recorded tokens exceed the budget. */
  get overTokens(): boolean {
    return this.tokens > this.#budget.maxTokens;
  }
}
