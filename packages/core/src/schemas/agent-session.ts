import { z } from 'zod';
import { idSchema, jsonObjectSchema, timestampSchema } from './common.js';

/** A conversation with one agent about one project. */
export const agentSessionSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  /** The registered agent type that answers in this session. */
  agentType: z.string().min(1),
  title: z.string().max(300),
  /** Agent settings such as `model`, `baseUrl`; never secrets. */
  settings: jsonObjectSchema,
  createdBy: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** A conversation with one agent about one project. */
export type AgentSession = z.infer<typeof agentSessionSchema>;

/** A message in a session. */
export const chatMessageSchema = z.object({
  id: idSchema,
  sessionId: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string().max(200_000),
  /** The job this message started (user) or summarises (assistant). */
  jobId: idSchema.nullable(),
  /** The version an assistant message describes. */
  versionId: idSchema.nullable(),
  createdBy: z.string(),
  createdAt: timestampSchema,
});
/** A message in a session. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;
