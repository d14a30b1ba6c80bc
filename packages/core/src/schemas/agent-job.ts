import { z } from 'zod';
import { errorInfoSchema, tokenUsageSchema } from './agent-event.js';
import { idSchema, timestampSchema } from './common.js';

/** queued → running → complete | failed | cancelled. */
export const agentJobStatusSchema = z.enum(['queued', 'running', 'complete', 'failed', 'cancelled']);
/**
 * What a job does, from the intent its agent reports: build an app from nothing, change one,
 * fix one, or answer a question without changing code.
 */
export const agentJobTypeSchema = z.enum(['generate', 'edit', 'fix', 'question']);
/** What a job does; see {@link agentJobTypeSchema}. */
export type AgentJobType = z.infer<typeof agentJobTypeSchema>;
/** The state of an agent job. */
export type AgentJobStatus = z.infer<typeof agentJobStatusSchema>;

/** Hard limits a job may not exceed. */
export const jobBudgetSchema = z.object({
  /** Model calls. */
  maxSteps: z.number().int().min(1).max(1000),
  maxTokens: z.number().int().min(1).max(100_000_000),
  /** US dollars the job's model calls may cost (at the engine's prices); null: no money budget. */
  maxCostUsd: z.number().positive().max(1_000_000).nullable().default(null),
});
/** Hard limits a job may not exceed. */
export type JobBudget = z.infer<typeof jobBudgetSchema>;
/** A job budget as written: `maxCostUsd` may be left out (no money budget). */
export type JobBudgetInput = z.input<typeof jobBudgetSchema>;

/** One run of an agent on one chat message. */
export const agentJobSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  sessionId: idSchema,
  /** The user message that started this job. */
  messageId: idSchema,
  agentType: z.string(),
  status: agentJobStatusSchema,
  /** From the agent's `intent` event (the latest one); null until it reports one, or when its intent is none of these. */
  jobType: agentJobTypeSchema.nullable(),
  /** The version the agent started from; its result must still be current to be saved. */
  baseVersionId: idSchema.nullable(),
  resultVersionId: idSchema.nullable(),
  plan: z.array(z.string()).nullable(),
  error: errorInfoSchema.nullable(),
  budget: jobBudgetSchema,
  /** Tokens of every attempt's model calls (`cachedTokens` always present). */
  usage: tokenUsageSchema.required(),
  /** Model calls so far (every attempt's); the budget's `maxSteps` counts these. */
  steps: z.number().int().nonnegative(),
  /**
   * What the model calls cost in US dollars, at the engine's prices: the sum over the priced
   * calls; null when the job made model calls and none had a known price.
   */
  costUsd: z.number().nonnegative().nullable(),
  /** Model calls whose model has no known price (their tokens are in `usage`, their cost is not in `costUsd`). */
  unpricedModelCalls: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  startedAt: timestampSchema.nullable(),
  finishedAt: timestampSchema.nullable(),
});
/** One run of an agent on one chat message. */
export type AgentJob = z.infer<typeof agentJobSchema>;
