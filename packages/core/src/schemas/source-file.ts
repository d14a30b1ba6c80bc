import { z } from 'zod';

/** A file's bytes at a path; text files are UTF-8. */
export interface SourceFile {
  path: string;
  content: Uint8Array;
}

/** A file listed without content. `hash` is backend-specific (sha256, git blob SHA). */
export const fileEntrySchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  hash: z.string(),
});
/** A file listed without content. */
export type FileEntry = z.infer<typeof fileEntrySchema>;

/** A change to apply on top of a parent version. */
export type FileChange = { type: 'write'; path: string; content: Uint8Array } | { type: 'delete'; path: string };

/** How one file differs between two versions. */
export const fileDiffSchema = z.object({
  path: z.string(),
  /** For renames: where the file was before. */
  previousPath: z.string().optional(),
  status: z.enum(['added', 'modified', 'deleted', 'renamed']),
  binary: z.boolean(),
  /** Unified diff for text files; absent for binary files (see `binary`). */
  patch: z.string().optional(),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
});
/** How one file differs between two versions. */
export type FileDiff = z.infer<typeof fileDiffSchema>;

/**
 * A file as it crosses a JSON boundary: text as UTF-8, binary as base64.
 * `createVersion` accepts this shape as well as raw bytes.
 */
export const fileInputSchema = z.object({
  path: z.string().min(1).max(1024),
  content: z.union([z.string(), z.instanceof(Uint8Array)]),
  encoding: z.enum(['utf8', 'base64']).default('utf8'),
});
/** A file as it crosses a JSON boundary. */
export type FileInput = z.input<typeof fileInputSchema>;
