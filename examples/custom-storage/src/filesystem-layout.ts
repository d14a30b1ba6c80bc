import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ValidationError } from '@vector/core';

/** A ref is the SHA-256 of its manifest: checking the shape keeps refs from naming paths. */
const refPattern = /^[0-9a-f]{64}$/;
const hashPattern = /^[0-9a-f]{64}$/;

/**
 * Where everything lives under `root`. Only hashes and encoded ids ever become path
 * segments — never a project's file paths — so nothing a caller passes can point outside
 * `root` (no `..`, no absolute paths, no symlink tricks through user-chosen names).
 *
 * ```
 * root/objects/ab/abcdef…            file contents, named by SHA-256
 * root/projects/p-<id>/refs/<ref>.json   one manifest per version
 * root/tmp/                          staging for atomic renames
 * ```
 */
export interface FilesystemLayout {
  readonly root: string;
  objectPath(hash: string): string;
  projectDirectory(projectId: string): string;
  manifestPath(projectId: string, ref: string): string;
  /** Writes `data` to `path` atomically: readers see the old file or the whole new one. */
  writeAtomically(path: string, data: Uint8Array | string): Promise<void>;
}

/** Builds the {@link FilesystemLayout} for a root directory. */
export function createFilesystemLayout(root: string): FilesystemLayout {
  const projectDirectory = (projectId: string) =>
    // base64url never yields `.`, `..` or `/`, whatever the id contains.
    join(root, 'projects', `p-${Buffer.from(projectId, 'utf8').toString('base64url')}`);

  return {
    root,
    objectPath(hash) {
      if (!hashPattern.test(hash)) throw new ValidationError({ message: `Invalid object hash ${JSON.stringify(hash)}` });
      return join(root, 'objects', hash.slice(0, 2), hash);
    },
    projectDirectory,
    manifestPath(projectId, ref) {
      if (!refPattern.test(ref)) throw new ValidationError({ message: `Invalid ref ${JSON.stringify(ref)}: refs are 64 hex characters` });
      return join(projectDirectory(projectId), 'refs', `${ref}.json`);
    },
    async writeAtomically(path, data) {
      const staging = join(root, 'tmp', randomUUID());
      await mkdir(dirname(staging), { recursive: true });
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(staging, data, { flush: true });
        await rename(staging, path);
      } catch (error) {
        await rm(staging, { force: true });
        throw error;
      }
    },
  };
}

/** True for a Node filesystem error with the given code (e.g. `ENOENT`). */
export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
