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
  maxSteps: z.number().int().min(1).max(1000),
  maxTokens: z.number().int().min(1).max(100_000_000),
});
/** Hard limits a job may not exceed. */
export type JobBudget = z.infer<typeof jobBudgetSchema>;

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
  usage: tokenUsageSchema,
  steps: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  startedAt: timestampSchema.nullable(),
  finishedAt: timestampSchema.nullable(),
});
/** One run of an agent on one chat message. */
export type AgentJob = z.infer<typeof agentJobSchema>;
