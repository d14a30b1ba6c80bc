import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  CancelledError,
  defineStorageBackend,
  diffFileSets,
  findPathConflict,
  InternalError,
  lastWriteInConflict,
  LimitExceededError,
  normalizeFilePath,
  NotFoundError,
  parseInput,
  pathConflictError,
  sha256Hex,
  type DiffSide,
  type FileEntry,
  type SourceFile,
  type StorageBackend,
  type StorageProject,
} from '@vector/core';
import { createFilesystemLayout, isErrnoCode } from './filesystem-layout.js';

/** Options of {@link createFilesystemStorage}. */
export interface FilesystemStorageOptions {
  /** Directory everything is stored under; created if missing. Default `$VECTOR_FS_STORAGE_ROOT`. */
  root?: string;
  /** Registry name. Default `filesystem`. */
  name?: string;
  /** Largest file accepted, in bytes. Default 25 MiB. */
  maxFileBytes?: number;
}

const optionsSchema = z.object({
  root: z.string().min(1, 'root is required (or set VECTOR_FS_STORAGE_ROOT)'),
  name: z.string().default('filesystem'),
  maxFileBytes: z.number().int().positive().default(25 * 1024 * 1024),
});

/** One version as written to disk: sorted `[path, sha256, size]` triples plus provenance. */
const manifestSchema = z.object({
  parentRef: z.string().nullable(),
  message: z.string(),
  author: z.object({ name: z.string(), email: z.string() }),
  files: z.array(z.tuple([z.string(), z.string(), z.number().int().nonnegative()])),
});
type Manifest = z.infer<typeof manifestSchema>;

/** Manifest entries sorted by path, the order every listing and diff must have. */
const byPath = (a: readonly [string, ...unknown[]], b: readonly [string, ...unknown[]]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * A {@link StorageBackend} that keeps code versions as plain files under `root`: each file's
 * content once per SHA-256 in `objects/`, and each version as a JSON manifest mapping paths
 * to hashes. A ref is the SHA-256 of its manifest, so refs are immutable by construction.
 *
 * Saves are all-or-nothing: objects are written first, the manifest last with an atomic
 * rename, so a failed save leaves no ref behind (only unreferenced objects).
 */
export function createFilesystemStorage(options: FilesystemStorageOptions = {}): StorageBackend {
  const settings = parseInput(optionsSchema, { ...options, root: options.root ?? process.env.VECTOR_FS_STORAGE_ROOT }, 'filesystem storage options');
  const layout = createFilesystemLayout(resolve(settings.root));

  const readManifest = async (project: StorageProject, ref: string): Promise<Manifest> => {
    let text: string;
    try {
      text = await readFile(layout.manifestPath(project.id, ref), 'utf8');
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) throw new NotFoundError({ entity: 'storage ref', id: ref, message: `Ref ${ref} does not exist in project ${project.id}`, cause: error });
      throw error;
    }
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new InternalError({ message: `The manifest of ref ${ref} is corrupt`, cause: parsed.error });
    return parsed.data;
  };

  const readObject = async (hash: string): Promise<Uint8Array> => {
    try {
      return new Uint8Array(await readFile(layout.objectPath(hash)));
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) throw new InternalError({ message: `Object ${hash} is missing from ${settings.name} storage`, cause: error });
      throw error;
    }
  };

  const exists = (path: string) => stat(path).then(() => true, (error: unknown) => (isErrnoCode(error, 'ENOENT') ? false : Promise.reject(error)));

  return defineStorageBackend({
    specificationVersion: 'v1',
    name: settings.name,
    capabilities: { binary: true, garbageCollection: false, gitSource: false, maxFileBytes: settings.maxFileBytes },

    async init() {
      await mkdir(layout.root, { recursive: true });
    },

    async createProject({ project }) {
      await mkdir(layout.projectDirectory(project.id), { recursive: true });
    },

    async deleteProject({ project }) {
      // Objects may be shared with other projects, so only the manifests go.
      await rm(layout.projectDirectory(project.id), { recursive: true, force: true });
    },

    async saveVersion({ project, parentRef, changes, message, author, signal }) {
      // Validate every change before writing anything: a rejected save must leave no trace.
      const valid = changes.map((change) => ({ ...change, path: normalizeFilePath(change.path) }));
      for (const change of valid) {
        if (change.type === 'write' && change.content.byteLength > settings.maxFileBytes) {
          throw new LimitExceededError({
            limit: 'file_size',
            message: `${change.path} is ${change.content.byteLength} bytes; the ${settings.name} backend accepts at most ${settings.maxFileBytes}`,
            details: { path: change.path, size: change.content.byteLength, maxFileBytes: settings.maxFileBytes },
          });
        }
      }
      const files = new Map<string, readonly [string, number]>();
      if (parentRef !== null) for (const [path, hash, size] of (await readManifest(project, parentRef)).files) files.set(path, [hash, size]);
      // The result, not each step, must never hold a path both as a file and as a directory (`a` beside `a/b.txt`).
      const resultPaths = new Set(files.keys());
      for (const change of valid) {
        if (change.type === 'delete') resultPaths.delete(change.path);
        else resultPaths.add(change.path);
      }
      const conflict = findPathConflict(resultPaths);
      if (conflict) throw pathConflictError(conflict, ['changes', lastWriteInConflict(valid, conflict), 'path']);
      for (const change of valid) {
        if (signal?.aborted) throw new CancelledError({ message: 'saveVersion was cancelled', cause: signal.reason });
        if (change.type === 'delete') {
          files.delete(change.path);
          continue;
        }
        const hash = sha256Hex(change.content);
        const objectPath = layout.objectPath(hash);
        if (!(await exists(objectPath))) await layout.writeAtomically(objectPath, change.content);
        files.set(change.path, [hash, change.content.byteLength]);
      }
      const manifest: Manifest = { parentRef, message, author, files: [...files].map(([path, [hash, size]]) => [path, hash, size] as [string, string, number]).sort(byPath) };
      const text = JSON.stringify(manifest);
      const ref = sha256Hex(new TextEncoder().encode(text));
      await layout.writeAtomically(layout.manifestPath(project.id, ref), text);
      return { ref, fileCount: manifest.files.length };
    },

    async getFiles({ project, ref, paths }) {
      const manifest = await readManifest(project, ref);
      const wanted = paths === undefined ? null : new Set(paths.map(normalizeFilePath));
      const result: SourceFile[] = [];
      for (const [path, hash] of manifest.files) {
        if (wanted === null || wanted.has(path)) result.push({ path, content: await readObject(hash) });
      }
      return result;
    },

    async getFile({ project, ref, path }) {
      const normalized = normalizeFilePath(path);
      const entry = (await readManifest(project, ref)).files.find(([candidate]) => candidate === normalized);
      return entry ? { path: normalized, content: await readObject(entry[1]) } : null;
    },

    async listFiles({ project, ref }) {
      const manifest = await readManifest(project, ref);
      return manifest.files.map(([path, hash, size]): FileEntry => ({ path, size, hash }));
    },

    async diffVersions({ project, fromRef, toRef }) {
      const sides = (manifest: Manifest | null): DiffSide[] =>
        (manifest?.files ?? []).map(([path, hash]) => ({ path, hash, load: () => readObject(hash) }));
      const from = fromRef === null ? null : await readManifest(project, fromRef);
      return diffFileSets(sides(from), sides(await readManifest(project, toRef)));
    },
  });
}
