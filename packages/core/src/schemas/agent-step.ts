import { z } from 'zod';
import { agentStepKindSchema, agentStepStatusSchema, tokenUsageSchema } from './agent-event.js';
import { idSchema, timestampSchema } from './common.js';

/**
 * One model call or tool call of a job, recorded as it finished. A job handed back to the
 * queue keeps its steps: the next attempt gets them (`AgentRunContext.replay`) and replays
 * those whose input matches instead of paying for them again.
 */
export const agentStepSchema = z.object({
  id: idSchema,
  jobId: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  sessionId: idSchema,
  /** Position in the job: 1, 2, 3… across attempts. */
  index: z.number().int().positive(),
  /** The attempt that ran the step. */
  attempt: z.number().int().positive(),
  kind: agentStepKindSchema,
  name: z.string(),
  model: z.string().nullable(),
  /** A digest of the input (see `digestStepInput`); null for steps that cannot be replayed. */
  inputDigest: z.string().nullable(),
  /** What the step produced (JSON); null when the agent recorded none. */
  output: z.unknown(),
  status: agentStepStatusSchema,
  error: z.string().nullable(),
  /** Tokens of a model call; zero for tool steps. */
  usage: tokenUsageSchema.required(),
  /** In US dollars: the tokens times the model's prices. Null when no price is known (or for tool steps). */
  costUsd: z.number().nullable(),
  durationMs: z.number().int().nonnegative(),
  createdAt: timestampSchema,
});
/** One model call or tool call of a job; see {@link agentStepSchema}. */
export type AgentStep = z.infer<typeof agentStepSchema>;

/** A recorded step an agent may replay: what it needs to match the step and hand back its output. */
export type RecordedStep = Pick<AgentStep, 'index' | 'kind' | 'name' | 'model' | 'inputDigest' | 'output' | 'usage'>;

/**
 * A model's prices in US dollars per million tokens. `cachedInput` prices prompt tokens served
 * from the provider's cache; when absent they cost `input`.
 */
export const modelPriceSchema = z.object({
  input: z.number().nonnegative().max(10_000),
  output: z.number().nonnegative().max(10_000),
  cachedInput: z.number().nonnegative().max(10_000).optional(),
});
/** A model's prices per million tokens; see {@link modelPriceSchema}. */
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** What the usage figures are summed by. */
export const usageGroupSchema = z.enum(['day', 'project', 'model']);
/** What the usage figures are summed by. */
export type UsageGroup = z.infer<typeof usageGroupSchema>;

/** Spending of one group (or of everything, for the totals). */
export const usageFiguresSchema = z.object({
  /** Model calls that succeeded (the calls a job's `maxSteps` counts). Tokens of failed ones are still in the token figures. */
  modelCalls: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  /** The sum of the priced model calls' costs, in US dollars; null when there were model calls and none was priced. */
  costUsd: z.number().nullable(),
  /** Model calls with no known price: their tokens are counted, their cost is not in `costUsd`. */
  unpricedModelCalls: z.number().int().nonnegative(),
});
/** Spending of one group; see {@link usageFiguresSchema}. */
export type UsageFigures = z.infer<typeof usageFiguresSchema>;

/** One row of a usage summary: the group's keys (those asked for) and its figures. */
export const usageRowSchema = usageFiguresSchema.extend({
  /** UTC day, `YYYY-MM-DD` (when grouped by day). */
  day: z.string().optional(),
  projectId: idSchema.optional(),
  /** The model (when grouped by model); null for tool calls. */
  model: z.string().nullable().optional(),
});
/** One row of a usage summary. */
export type UsageRow = z.infer<typeof usageRowSchema>;

/** A usage summary over `[range.start, range.end)`: one row per group, plus the totals (shaped after v0's usage summary). */
export const usageSummarySchema = z.object({
  range: z.object({ start: timestampSchema, end: timestampSchema }),
  groupBy: z.array(usageGroupSchema),
  rows: z.array(usageRowSchema),
  totals: usageFiguresSchema,
});
/** A usage summary; see {@link usageSummarySchema}. */
export type UsageSummary = z.infer<typeof usageSummarySchema>;
