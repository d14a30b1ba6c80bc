import { z } from 'zod';
import { actorSchema, idSchema, jsonObjectSchema, timestampSchema } from './common.js';

/** One mutation: who did what to which entity, when, and the ids before/after. */
export const auditLogSchema = z.object({
  id: idSchema,
  organizationId: idSchema,
  projectId: idSchema.nullable(),
  actor: actorSchema,
  /** Dotted action name, e.g. `version.create`, `deployment.destroy`. */
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  beforeId: z.string().nullable(),
  afterId: z.string().nullable(),
  data: jsonObjectSchema,
  createdAt: timestampSchema,
});
/** One audited mutation. */
export type AuditLog = z.infer<typeof auditLogSchema>;
