import { z } from 'zod';
import { idSchema, jsonObjectSchema, timestampSchema } from './common.js';

/** An app being built: owns versions, sessions, deployments, data tables and audit entries. */
export const projectSchema = z.object({
  id: idSchema,
  organizationId: idSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(5000),
  /** Name of the registered storage backend that holds this project's code. */
  storageBackend: z.string().min(1),
  /** Per-project settings; `storage` holds backend options such as a GitHub repo. */
  settings: jsonObjectSchema,
  /** The version new work builds on; null before the first version. */
  currentVersionId: idSchema.nullable(),
  /** The version live in production; null until published. */
  publishedVersionId: idSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** An app being built. */
export type Project = z.infer<typeof projectSchema>;
