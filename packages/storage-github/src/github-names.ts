import { z } from 'zod';

/** A GitHub owner or repository name. */
export const nameSchema = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a GitHub owner or repository name ([A-Za-z0-9._-], at most 100 characters)');

/** A branch name git accepts (`git check-ref-format --branch`, simplified). */
export const branchSchema = z
  .string()
  .min(1)
  .max(250)
  .refine((value) => !/(^[./-])|\.\.|[\s~^:?*[\\]|@\{|\/\/|\.lock$|\/$|\.$/.test(value), 'a valid git branch name');

/** A commit SHA (SHA-1, or SHA-256 for repositories using it). */
export const commitShaSchema = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'a commit SHA');
