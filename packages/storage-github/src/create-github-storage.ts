import {
  CancelledError,
  type DescribeGitSourceInput,
  type FileChange,
  type FinalizeVersionInput,
  type GitSource,
  type ImportRepositoryInput,
  type KeepOverInput,
  LimitExceededError,
  normalizeFilePath,
  type RefRelation,
  type StorageBackendV1,
  type StorageHead,
  type StorageLocation,
  type StorageProject,
  ValidationError,
  VectorError,
  defineStorageBackend,
} from '@vector/core';
import { authorizeRepository } from './authorize-repository.js';
import { createGitHubClient } from './create-github-client.js';
import { ensureRepository } from './ensure-repository.js';
import { describeLocation } from './describe-location.js';
import { diffVersions } from './diff-versions.js';
import { finalizeVersion } from './finalize-version.js';
import { findTreeFile, listTree, readBlob, readCommit } from './git-reader.js';
import { statusOf, toVectorError } from './github-error.js';
import type { GitHubStorageOptions } from './github-storage-options.js';
import { importRepository } from './import-repository.js';
import { keepOver } from './keep-over.js';
import { readHead } from './read-head.js';
import { relateRefs } from './relate-refs.js';
import { mapWithConcurrency, type RepositoryContext, repoParams } from './repository-context.js';
import { locateRepository } from './repository-location.js';
import { repositoryWebUrl } from './repository-web-url.js';
import { resolveOptions } from './resolve-options.js';
import { saveVersion } from './save-version.js';

/**
 * The GitHub storage backend: core's storage contract with every optional part a git
 * branch allows — git sources, repository import, and changes made outside Vector.
 */
export interface GitHubStorage extends StorageBackendV1 {
  /**
   * Publishes a recorded version: fast-forwards the project's branch to its commit (see
   * {@link createGitHubStorage}). The engine calls it; call it yourself only for a ref you
   * recorded outside the engine, such as one from `importRepository`.
   * @throws ConflictError when the branch holds commits the version does not build on.
   */
  finalizeVersion(input: FinalizeVersionInput): Promise<void>;
  describeGitSource(input: DescribeGitSourceInput): Promise<GitSource>;
  /**
   * Makes an existing repository's commit a project's first version: copies its files
   * into the project's repository (or, when that is the same repository, uses the commit
   * as is) and returns a ref to pass as the first version's storage ref. Like every save
   * it is not published on the branch until `finalizeVersion` (or the next version's) runs.
   */
  importRepository(input: ImportRepositoryInput): Promise<{ ref: string }>;
  /** The project's repository and branch, without a request (see `capabilities.externalChanges`). */
  describeLocation(input: { project: StorageProject }): StorageLocation;
  /** The commit the project's branch points at now, with its message and author; null when there is no branch. */
  readHead(input: { project: StorageProject }): Promise<StorageHead | null>;
  /** How commit `head` relates to commit `base`, with GitHub compare's counts. */
  relateRefs(input: { project: StorageProject; base: string; head: string }): Promise<RefRelation>;
  /**
   * Writes a commit with `ref`'s files and parents `[ref, over]`, and fast-forwards the
   * branch from `over` to it (never a force-push).
   * @throws ConflictError when the branch is no longer at `over`.
   */
  keepOver(input: KeepOverInput): Promise<{ ref: string }>;
}

/**
 * Creates a storage backend that keeps each version as one commit on a GitHub branch,
 * written through the Git Data API (no clone). `ref`s are commit SHAs.
 *
 * Saves take two phases: `saveVersion` writes the commit without touching the branch, and
 * `finalizeVersion`, which the engine calls once it recorded the version, fast-forwards the
 * branch to it. A crash in between leaves only an unreferenced commit; the next save, based
 * on the last recorded version, still succeeds and its finalize publishes both.
 *
 * @example
 * ```ts
 * const storage = createGitHubStorage({ auth: { token: process.env.GITHUB_TOKEN! }, owner: 'acme-apps' });
 * const vector = createVector({ database, storage: [storage] });
 * ```
 * @throws ValidationError when options are invalid or no credentials are found.
 */
export function createGitHubStorage(options: GitHubStorageOptions = {}): GitHubStorage {
  const resolved = resolveOptions(options);
  const octokit = createGitHubClient(resolved);

  const locate = (project: StorageProject, signal?: AbortSignal): RepositoryContext => ({
    octokit,
    location: locateRepository(project, resolved),
    concurrency: resolved.concurrency,
    projectId: project.id,
    ...(signal ? { signal } : {}),
  });
  // Every operation that reads or writes a repository first checks the project may use it.
  const contextFor = async (project: StorageProject, signal?: AbortSignal): Promise<RepositoryContext> => {
    const context = locate(project, signal);
    const { owner, repository } = context.location;
    await authorizeRepository(resolved, { project, owner, repository, purpose: 'settings' });
    return context;
  };

  const checkChanges = (changes: ReadonlyArray<FileChange>): FileChange[] =>
    changes.map((change) => {
      const path = normalizeFilePath(change.path);
      if (change.type === 'delete') return { type: 'delete', path };
      if (!(change.content instanceof Uint8Array)) throw new ValidationError({ message: `Content of ${path} must be a Uint8Array`, issues: [{ path: ['changes', path], message: 'not bytes' }] });
      if (change.content.byteLength > resolved.maxFileBytes) {
        throw new LimitExceededError({ limit: 'file_size', message: `${path} is ${change.content.byteLength} bytes; GitHub storage accepts at most ${resolved.maxFileBytes}`, details: { path, size: change.content.byteLength, maxFileBytes: resolved.maxFileBytes } });
      }
      return { type: 'write', path, content: change.content };
    });

  const backend: GitHubStorage = {
    specificationVersion: 'v1',
    name: resolved.name,
    capabilities: { binary: true, garbageCollection: false, gitSource: true, maxFileBytes: resolved.maxFileBytes, externalChanges: true, importRepository: true },

    async createProject({ project }) {
      const context = await contextFor(project);
      await ensureRepository(context, { create: resolved.createRepositories, ownerType: resolved.ownerType, private: resolved.private, description: `Vector project ${project.name}` });
    },

    async deleteProject({ project }) {
      // Never authorized: it only ever deletes the repository this backend named itself.
      const context = locate(project);
      if (!resolved.deleteRepositories || context.location.userConfigured) return;
      try {
        await octokit.rest.repos.delete(repoParams(context));
      } catch (error) {
        if (statusOf(error) === 404) return;
        throw toVectorError(error, 'deleting the repository');
      }
    },

    async saveVersion(input) {
      const changes = checkChanges(input.changes);
      const context = await contextFor(input.project, input.signal);
      try {
        if (input.signal?.aborted) throw input.signal.reason;
        return await saveVersion(context, { projectId: input.project.id, parentRef: input.parentRef, changes, message: input.message, author: input.author });
      } catch (error) {
        // An abort surfaces from fetch as a network error; report it as what it is.
        if (input.signal?.aborted && !(VectorError.isInstance(error) && error.code === 'CONFLICT')) {
          throw new CancelledError({ message: 'Saving the version was cancelled; nothing was published.', cause: error });
        }
        throw error;
      }
    },

    async finalizeVersion({ project, ref, parentRef }) {
      return finalizeVersion(await contextFor(project), { ref, parentRef });
    },

    async listFiles({ project, ref }) {
      const context = await contextFor(project);
      const commit = await readCommit(context, ref);
      return (await listTree(context, commit.treeSha)).map((file) => ({ path: file.path, size: file.size, hash: file.sha }));
    },

    async getFiles({ project, ref, paths }) {
      const context = await contextFor(project);
      const commit = await readCommit(context, ref);
      let files = await listTree(context, commit.treeSha);
      if (paths) {
        const wanted = new Set(paths.map((path) => normalizeFilePath(path)));
        files = files.filter((file) => wanted.has(file.path));
      }
      return mapWithConcurrency(files, resolved.concurrency, async (file) => ({ path: file.path, content: await readBlob(context, file.sha) }));
    },

    async getFile({ project, ref, path }) {
      const normalized = normalizeFilePath(path);
      const context = await contextFor(project);
      const commit = await readCommit(context, ref);
      const file = await findTreeFile(context, commit.treeSha, normalized);
      return file ? { path: normalized, content: await readBlob(context, file.sha) } : null;
    },

    async diffVersions({ project, fromRef, toRef }) {
      return diffVersions(await contextFor(project), fromRef, toRef);
    },

    async describeGitSource({ project, ref }) {
      const context = await contextFor(project);
      const commit = await readCommit(context, ref);
      const { owner, repository, branch } = context.location;
      return { repositoryUrl: repositoryWebUrl(resolved.baseUrl, owner, repository), owner, repository, branch, commitSha: commit.sha };
    },

    async importRepository(input) {
      const target = await contextFor(input.project);
      await authorizeRepository(resolved, { project: input.project, owner: input.owner, repository: input.repository, purpose: 'import' });
      return importRepository({ octokit, concurrency: resolved.concurrency, maxFileBytes: resolved.maxFileBytes, target, save: (changes) => backend.saveVersion({ project: input.project, parentRef: null, changes, message: input.message ?? `Import ${input.owner}/${input.repository}@${input.ref ?? 'HEAD'}`, author: input.author ?? { name: 'Vector', email: 'import@vector.invalid' } }) }, input);
    },

    describeLocation({ project }) {
      return describeLocation(resolved, project);
    },

    async readHead({ project }) {
      return readHead(await contextFor(project));
    },

    async relateRefs({ project, base, head }) {
      return relateRefs(await contextFor(project), { base, head });
    },

    async keepOver({ project, ref, over, message, author }) {
      return keepOver(await contextFor(project), { projectId: project.id, ref, over, message, author });
    },
  };
  return defineStorageBackend(backend);
}
