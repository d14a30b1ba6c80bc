import { z } from 'zod';
import { validationCheckSchema, validationStatusSchema } from './code-version.js';

const tokenUsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
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

/**
 * What an agent streams while it works. The engine persists each event in order (except
 * the file contents inside `result`), so a client that drops its stream can replay them.
 * Each model call must be followed by exactly one `usage` event: the engine counts them
 * as steps and sums them against the job's token budget.
 */
export const agentEventSchema = z.discriminatedUnion('type', [
  ...progressEventSchemas,
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
  z.object({ type: z.literal('status'), status: z.enum(['queued', 'running']), attempt: z.number().int().positive() }),
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
   * `status: running` event of that attempt; an agent's output from an earlier attempt (text
   * deltas included) stays in the log, so a reader that joins text should keep only the latest
   * attempt's. Events written before the first attempt (`queued`) carry 1.
   */
  attempt: number;
  createdAt: string;
  data: JobEventData;
}
