import { z } from 'zod';
import { idSchema, jsonObjectSchema, timestampSchema } from './common.js';

/**
 * A project whose storage branch was changed outside Vector in a way its head does not contain
 * (someone pushed over it): both heads, until someone settles it with
 * `projects.resolveStorageConflict` — adopting the outside head as a new version, or keeping
 * Vector's head on top of it. Saves fail with `CONFLICT` meanwhile.
 */
export const storageConflictSchema = z.object({
  /** Vector's current version, and its ref. */
  versionId: idSchema,
  vectorRef: z.string(),
  /** The branch's head, written outside Vector. */
  externalRef: z.string(),
  externalMessage: z.string(),
  externalAuthor: z.object({ name: z.string(), email: z.string() }),
  detectedAt: timestampSchema,
});
/** A divergence between Vector's head and the storage's branch; see {@link storageConflictSchema}. */
export type StorageConflict = z.infer<typeof storageConflictSchema>;

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
  /** Set while the storage's branch and Vector's head have diverged; null when in step. */
  storageConflict: storageConflictSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** An app being built. */
export type Project = z.infer<typeof projectSchema>;
