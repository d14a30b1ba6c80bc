import { z } from 'zod';
import { idSchema, timestampSchema } from './common.js';

/** Where a version came from. */
export const versionSourceSchema = z.enum(['manual', 'import', 'ai_generation', 'rollback']);
/** Where a version came from. */
export type VersionSource = z.infer<typeof versionSourceSchema>;

/** Outcome of validating a version's code (parse + bundle) before it was saved. */
export const validationStatusSchema = z.enum(['not_run', 'passed', 'failed']);
/** Outcome of validating a version's code. */
export type ValidationStatus = z.infer<typeof validationStatusSchema>;

/**
 * An immutable snapshot of a project's files. `number` counts 1, 2, 3… per project with no
 * gaps; `parentId` is the version it was built on (null for the first).
 */
export const codeVersionSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  number: z.number().int().positive(),
  parentId: idSchema.nullable(),
  /** The storage backend's reference (a content hash, a git commit SHA). */
  storageRef: z.string().min(1),
  message: z.string().max(10_000),
  source: versionSourceSchema,
  /** For rollbacks: the version whose content this one restores. */
  restoredFromId: idSchema.nullable(),
  /** For agent output: the job that produced it. */
  jobId: idSchema.nullable(),
  validationStatus: validationStatusSchema,
  fileCount: z.number().int().nonnegative(),
  createdBy: z.string(),
  createdAt: timestampSchema,
});
/** An immutable snapshot of a project's files. */
export type CodeVersion = z.infer<typeof codeVersionSchema>;
