import { z } from 'zod';
import { validationCheckSchema, validationStatusSchema } from './code-version.js';

const tokenUsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  /**
   * Of `promptTokens`, how many the model provider served from its prompt cache (OpenAI's
   * `prompt_tokens_details.cached_tokens`), priced at the cached-input rate. Absent: none.
   */
  cachedTokens: z.number().int().nonnegative().optional(),
});
/** Tokens used by one model call or a whole job. */
export type TokenUsage = z.infer<typeof tokenUsageSchema>;
export { tokenUsageSchema };

/** Writes and deletes an agent asks the engine to apply on top of the job's base version. */
export const agentFileChangeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('write'), path: z.string().min(1), content: z.union([z.string(), z.instanceof(Uint8Array)]) }),
  z.object({ type: z.literal('delete'), path: z.string().min(1) }),
]);
/** A write or delete the agent asks the engine to apply. */
export type AgentFileChange = z.infer<typeof agentFileChangeSchema>;

const progressEventSchemas = [
  z.object({ type: z.literal('intent'), intent: z.string().min(1), detail: z.string().optional() }),
  z.object({ type: z.literal('plan'), steps: z.array(z.string()), summary: z.string().optional() }),
  z.object({ type: z.literal('text_delta'), text: z.string() }),
  z.object({ type: z.literal('tool_call'), callId: z.string(), name: z.string(), arguments: z.unknown() }),
  z.object({ type: z.literal('tool_result'), callId: z.string(), ok: z.boolean(), output: z.unknown() }),
  z.object({ type: z.literal('file_changed'), path: z.string(), change: z.enum(['created', 'modified', 'deleted']) }),
  z.object({
    type: z.literal('validation'),
    status: validationStatusSchema,
    round: z.number().int().nonnegative(),
    errors: z.array(z.string()),
    /** The check that ran this round; absent when none ran (`not_run`) and from agents that predate the field. */
    check: validationCheckSchema.optional(),
  }),
  z.object({ type: z.literal('usage'), model: z.string().optional(), usage: tokenUsageSchema }),
  z.object({ type: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
] as const;

/** What a step is: one model call, or one tool call. */
export const agentStepKindSchema = z.enum(['model', 'tool']);
/** What a step is; see {@link agentStepKindSchema}. */
export type AgentStepKind = z.infer<typeof agentStepKindSchema>;
/** How a step ended. A failed model call (retried, say) is a step too: its tokens, if any, were spent. */
export const agentStepStatusSchema = z.enum(['succeeded', 'failed']);
/** How a step ended. */
export type AgentStepStatus = z.infer<typeof agentStepStatusSchema>;

/**
 * A finished step, as an agent reports it: the engine stores it as an `AgentStep` row (with
 * its output, so a resumed attempt can replay it) and puts a summary in the job's log.
 */
const agentStepEventSchema = z.object({
  type: z.literal('step'),
  kind: agentStepKindSchema,
  /** The tool's name, or for a model call what it was for (e.g. `intent`, `plan`, `change`). */
  name: z.string().min(1).max(200),
  /** The model called (model steps). */
  model: z.string().min(1).max(200).optional(),
  /** A digest of the step's input (see `digestStepInput`): a resumed attempt replays a recorded step only when it matches. */
  inputDigest: z.string().min(1).max(200).nullable().default(null),
  /** What the step produced, as JSON; what a replay hands back instead of running the step again. */
  output: z.unknown().optional(),
  /** Tokens a model call spent; a step with usage counts against the job's step and token budgets. */
  usage: tokenUsageSchema.optional(),
  durationMs: z.number().int().nonnegative(),
  status: agentStepStatusSchema.default('succeeded'),
  error: z.string().max(10_000).optional(),
});

/**
 * What an agent streams while it works. The engine persists each event in order (except
 * the file contents inside `result`), so a client that drops its stream can replay them.
 * Each model call must be followed by exactly one `usage` event, or be reported by one `step`
 * event of kind `model` that carries its `usage` (never both): the engine counts them as model
 * calls, prices them and sums them against the job's budgets. `text_delta` events belong to
 * the model call that the next `step` (or `usage`) event closes.
 */
export const agentEventSchema = z.discriminatedUnion('type', [
  ...progressEventSchemas,
  agentStepEventSchema,
  z.object({
    type: z.literal('result'),
    /** Changes on top of the base version; empty for answers that change no code. */
    changes: z.array(agentFileChangeSchema),
    commitMessage: z.string().min(1).max(10_000),
    /** The assistant's reply to the user, saved as a chat message. */
    summary: z.string().max(200_000),
    validationStatus: validationStatusSchema.default('not_run'),
    /** The check behind `validationStatus` (the last round's); null when none ran. */
    validationCheck: validationCheckSchema.nullable().default(null),
  }),
]);
/** An event an agent streams while it works. */
export type AgentEvent = z.input<typeof agentEventSchema>;
/** An agent event after validation (defaults filled in). */
export type ParsedAgentEvent = z.output<typeof agentEventSchema>;

/** The error recorded on a failed job or deployment. */
export const errorInfoSchema = z.object({ code: z.string(), message: z.string() });
/** The error recorded on a failed job or deployment. */
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/**
 * A persisted job event as clients see it: the agent's events (with `result` reduced to
 * paths and messages) plus the engine's lifecycle events.
 */
export const jobEventDataSchema = z.discriminatedUnion('type', [
  ...progressEventSchemas,
  z.object({
    type: z.literal('result'),
    changedPaths: z.array(z.string()),
    commitMessage: z.string(),
    summary: z.string(),
    validationStatus: validationStatusSchema,
    /** Absent from events stored before the field existed. */
    validationCheck: validationCheckSchema.nullable().optional(),
  }),
  /** A step was recorded (its output is in the step row, `agent.listSteps`). */
  z.object({
    type: z.literal('step'),
    /** The step's position in the job: 1, 2, 3… across attempts. */
    index: z.number().int().positive(),
    kind: agentStepKindSchema,
    name: z.string(),
    model: z.string().nullable(),
    status: agentStepStatusSchema,
    usage: tokenUsageSchema.nullable(),
    /** In US dollars; null when no price is known for the model (or for tool steps, which cost nothing). */
    costUsd: z.number().nullable(),
    durationMs: z.number().int().nonnegative(),
  }),
  /**
   * The job's state changed. `running` begins an attempt; `resumedSteps` (attempts after the
   * first) says how many recorded steps the attempt may replay instead of running them again.
   */
  z.object({ type: z.literal('status'), status: z.enum(['queued', 'running']), attempt: z.number().int().positive(), resumedSteps: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal('done'), versionId: z.string().nullable(), messageId: z.string(), usage: tokenUsageSchema, steps: z.number().int() }),
  z.object({ type: z.literal('failed'), error: errorInfoSchema }),
  z.object({ type: z.literal('cancelled'), reason: z.string() }),
]);
/** A persisted job event's payload. */
export type JobEventData = z.infer<typeof jobEventDataSchema>;

/** A job event as stored: ordered by `sequence` (1, 2, 3… per job, no gaps). */
export interface AgentJobEvent {
  jobId: string;
  sequence: number;
  /**
   * The attempt (1, 2, …) the job was on when the event was written. A job handed back to the
   * queue (its worker stopped or died) runs again as the next attempt, starting with a
   * `status: running` event of that attempt. Steps an earlier attempt finished are replayed,
   * not streamed again; text an interrupted model call had streamed stays in the log, but no
   * `step` event closes it. `joinJobText` joins the text of a log the documented way: text
   * deltas count once their model call's `step` (or `usage`) event closes them as succeeded,
   * and the open tail counts only in the latest attempt. Events written before the first
   * attempt (`queued`) carry 1.
   */
  attempt: number;
  createdAt: string;
  data: JobEventData;
}
