import { VectorError } from './vector-error.js';

/** Which budget: a job's model calls, tokens or money, or an organization's monthly ceiling. */
export type BudgetName = 'job_steps' | 'job_tokens' | 'job_cost' | 'organization_monthly_cost';

/**
 * A budget would be crossed: a job stops before (or at) the model call that would take it past
 * its step, token or money budget, and an organization whose spending this month has reached
 * its ceiling gets no new jobs.
 */
export class BudgetExceededError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'BUDGET_EXCEEDED';
  readonly code = 'BUDGET_EXCEEDED';
  /** Which budget. */
  readonly budget: BudgetName;
  constructor(options: { budget: BudgetName; message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super('BudgetExceededError', { ...options, details: { budget: options.budget, ...options.details } });
    this.budget = options.budget;
  }
}
