import { z } from 'zod';
import { CancelledError } from '../errors/cancelled-error.js';
import { parseInput } from '../errors/from-zod.js';
import { LimitExceededError } from '../errors/limit-exceeded-error.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { sha256Hex } from '../files/content.js';
import { diffFileSets, type DiffSide } from '../files/diff-files.js';
import { findPathConflict, lastWriteInConflict, pathConflictError } from '../files/path-conflicts.js';
import { normalizeFilePath } from '../files/path-rules.js';
import { defineStorageBackend } from '../plugins/define-plugins.js';
import type { StorageBackend, StorageProject } from '../plugins/storage-backend.js';
import type { FileChange, FileEntry, SourceFile } from '../schemas/source-file.js';

/** Options of {@link createMemoryStorage}. */
export interface MemoryStorageOptions {
  /** Registry name. Default `memory`. */
  name?: string;
  /** Largest file accepted, in bytes. Default 25 MiB. */
  maxFileBytes?: number;
  /** Clock used to stamp saves for garbage collection. Default `() => new Date()`. */
  now?: () => Date;
}

const optionsSchema = z.object({
  name: z.string().default('memory'),
  maxFileBytes: z.number().int().positive().default(25 * 1024 * 1024),
  now: z.custom<() => Date>((value) => typeof value === 'function', 'now must be a function').optional(),
});

interface Blob {
  bytes: Uint8Array;
  /** Last time a save wrote this blob; a save running during GC must not lose it. */
  writtenAt: number;
}

interface Tree {
  /** Normalized path → blob hash. */
  files: ReadonlyMap<string, string>;
  savedAt: number;
}

/**
 * An in-memory, content-addressed {@link StorageBackend}: file contents are stored once per
 * SHA-256, a version is a map of paths to hashes, and its ref is the hash of that map, its
 * parent and its message. Nothing survives the process; use it in tests, demos and as the
 * reference every other backend is compared with.
 *
 * Projects are isolated: a ref saved in one project is not found in another.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): StorageBackend {
  const settings = parseInput(optionsSchema, options, 'memory storage options');
  const now = settings.now ?? (() => new Date());
  const blobs = new Map<string, Blob>();
  const projects = new Map<string, Map<string, Tree>>();

  const treesOf = (project: StorageProject): Map<string, Tree> => {
    let trees = projects.get(project.id);
    if (!trees) {
      trees = new Map();
      projects.set(project.id, trees);
    }
    return trees;
  };

  const treeAt = (project: StorageProject, ref: string): Tree => {
    const tree = projects.get(project.id)?.get(ref);
    if (!tree) throw new NotFoundError({ entity: 'storage ref', id: ref, message: `Ref ${ref} does not exist in project ${project.id}` });
    return tree;
  };

  const read = (hash: string): Uint8Array => {
    const blob = blobs.get(hash);
    if (!blob) throw new NotFoundError({ entity: 'blob', id: hash });
    return blob.bytes.slice();
  };

  const validate = (changes: ReadonlyArray<FileChange>): FileChange[] =>
    changes.map((change) => {
      const path = normalizeFilePath(change.path);
      if (change.type === 'delete') return { type: 'delete', path };
      if (change.content.byteLength > settings.maxFileBytes) {
        throw new LimitExceededError({
          limit: 'file_size',
          message: `${path} is ${change.content.byteLength} bytes; the ${settings.name} backend accepts at most ${settings.maxFileBytes}`,
          details: { path, size: change.content.byteLength, maxFileBytes: settings.maxFileBytes },
        });
      }
      return { type: 'write', path, content: change.content };
    });

  return defineStorageBackend({
    specificationVersion: 'v1',
    name: settings.name,
    capabilities: { binary: true, garbageCollection: true, gitSource: false, maxFileBytes: settings.maxFileBytes },

    async dispose() {
      blobs.clear();
      projects.clear();
    },

    async createProject({ project }) {
      treesOf(project);
    },

    async deleteProject({ project }) {
      // Blobs may be shared with other projects; garbage collection reclaims the orphans.
      projects.delete(project.id);
    },

    async saveVersion({ project, parentRef, changes, message, author, signal }) {
      if (signal?.aborted) throw new CancelledError({ message: 'saveVersion was cancelled', cause: signal.reason });
      // Validate everything before touching state so a rejected save leaves nothing behind.
      const valid = validate(changes);
      const files = new Map(parentRef === null ? [] : treeAt(project, parentRef).files);
      const staged = new Map<string, Uint8Array>();
      for (const change of valid) {
        if (change.type === 'delete') {
          files.delete(change.path);
          continue;
        }
        const hash = sha256Hex(change.content);
        // Copy: the caller may reuse its buffer, and refs must never change.
        if (!blobs.has(hash) && !staged.has(hash)) staged.set(hash, change.content.slice());
        files.set(change.path, hash);
      }
      // Checked on the result, not change by change: deleting a/b.txt and writing a is fine in any order.
      const conflict = findPathConflict(files.keys());
      if (conflict) {
        const index = lastWriteInConflict(valid, conflict);
        throw pathConflictError(conflict, index < 0 ? ['changes'] : ['changes', index, 'path']);
      }
      const listing = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const ref = sha256Hex(JSON.stringify({ project: project.id, parentRef, files: listing, message, author }));
      const savedAt = now().getTime();
      for (const [hash, bytes] of staged) blobs.set(hash, { bytes, writtenAt: savedAt });
      for (const [, hash] of listing) {
        const blob = blobs.get(hash);
        if (blob) blob.writtenAt = Math.max(blob.writtenAt, savedAt);
      }
      const trees = treesOf(project);
      trees.set(ref, { files: new Map(listing), savedAt: Math.max(savedAt, trees.get(ref)?.savedAt ?? 0) });
      return { ref };
    },

    async getFiles({ project, ref, paths }) {
      const tree = treeAt(project, ref);
      const wanted = paths === undefined ? [...tree.files.keys()] : [...new Set(paths.map(normalizeFilePath))];
      const result: SourceFile[] = [];
      for (const path of wanted.sort()) {
        const hash = tree.files.get(path);
        if (hash !== undefined) result.push({ path, content: read(hash) });
      }
      return result;
    },

    async getFile({ project, ref, path }) {
      const normalized = normalizeFilePath(path);
      const hash = treeAt(project, ref).files.get(normalized);
      return hash === undefined ? null : { path: normalized, content: read(hash) };
    },

    async listFiles({ project, ref }) {
      const entries: FileEntry[] = [];
      for (const [path, hash] of treeAt(project, ref).files) entries.push({ path, size: blobs.get(hash)?.bytes.byteLength ?? 0, hash });
      return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async diffVersions({ project, fromRef, toRef }) {
      const sides = (tree: Tree | null): DiffSide[] =>
        tree === null ? [] : [...tree.files].map(([path, hash]) => ({ path, hash, load: async () => read(hash) }));
      const from = fromRef === null ? null : treeAt(project, fromRef);
      return diffFileSets(sides(from), sides(treeAt(project, toRef)));
    },

    async collectGarbage({ liveRefs, startedBefore }) {
      const cutoff = startedBefore.getTime();
      let removedObjects = 0;
      let freedBytes = 0;
      const reachable = new Set<string>();
      for (const trees of projects.values()) {
        for (const [ref, tree] of trees) {
          if (liveRefs.has(ref) || tree.savedAt >= cutoff) {
            for (const hash of tree.files.values()) reachable.add(hash);
            continue;
          }
          trees.delete(ref);
          removedObjects += 1;
        }
      }
      for (const [hash, blob] of blobs) {
        if (reachable.has(hash) || blob.writtenAt >= cutoff) continue;
        blobs.delete(hash);
        removedObjects += 1;
        freedBytes += blob.bytes.byteLength;
      }
      return { removedObjects, freedBytes };
    },
  });
}
