import { z } from 'zod';
import { idSchema, timestampSchema } from './common.js';

/** Where a version came from. */
export const versionSourceSchema = z.enum(['manual', 'import', 'ai_generation', 'rollback']);
/** Where a version came from. */
export type VersionSource = z.infer<typeof versionSourceSchema>;

/** Outcome of validating a version's code before it was saved; {@link validationCheckSchema} says how. */
export const validationStatusSchema = z.enum(['not_run', 'passed', 'failed']);
/** Outcome of validating a version's code. */
export type ValidationStatus = z.infer<typeof validationStatusSchema>;

/**
 * Which check produced a validation status:
 * - `bundle`: the code was parsed and bundled in memory (imports resolve, syntax is valid;
 *   no install, no type check);
 * - `build`: the project was installed, type-checked and built the way a deployment would
 *   build it (a `BuildChecker`).
 */
export const validationCheckSchema = z.enum(['bundle', 'build']);
/** Which check produced a validation status. */
export type ValidationCheck = z.infer<typeof validationCheckSchema>;

/**
 * Whether an agent finished the code it was asked for:
 * - `not_applicable`: the version was not written by an agent (manual saves, imports,
 *   rollbacks);
 * - `completed`: agent output whose validation passed or did not run;
 * - `incomplete`: agent output saved although its validation still failed after the
 *   agent's fix rounds. The files are kept so the user (or a later `fix` request) can carry
 *   on from them, but the version is not known to build.
 */
export const generationStatusSchema = z.enum(['not_applicable', 'completed', 'incomplete']);
/** Whether an agent finished the code it was asked for. */
export type GenerationStatus = z.infer<typeof generationStatusSchema>;

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
  /**
   * The check behind `validationStatus`; null when none ran (`not_run`) or the version
   * predates this field. A rollback copies the restored version's status and check.
   */
  validationCheck: validationCheckSchema.nullable(),
  /** For agent output, whether the agent finished; `not_applicable` for every other source. */
  generationStatus: generationStatusSchema,
  fileCount: z.number().int().nonnegative(),
  createdBy: z.string(),
  /** For a commit made outside Vector and imported (`source: 'import'`): who wrote it, as git says; null otherwise. */
  author: z.object({ name: z.string(), email: z.string() }).nullable(),
  createdAt: timestampSchema,
});
/** An immutable snapshot of a project's files. */
export type CodeVersion = z.infer<typeof codeVersionSchema>;
