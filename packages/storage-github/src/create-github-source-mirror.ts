import { CancelledError, defineSourceMirror, parseInput, type SourceMirrorV1, VectorError } from '@vector/core';
import { createGitHubClient } from './create-github-client.js';
import { ensureRepository } from './ensure-repository.js';
import { branchSchema } from './github-names.js';
import type { GitHubSourceMirrorOptions } from './github-source-mirror-options.js';
import { VERSION_TAG_PREFIX } from './mirror-commits.js';
import { locateMirror } from './mirror-location.js';
import { publishVersion } from './publish-version.js';
import type { RepositoryContext } from './repository-context.js';
import { repositoryWebUrl } from './repository-web-url.js';
import { GITHUB_MAX_FILE_BYTES } from './resolve-options.js';
import { resolveSourceMirrorOptions } from './resolve-source-mirror-options.js';

/** The GitHub source mirror (core's v1 source-mirror contract). */
export type GitHubSourceMirror = SourceMirrorV1;

/**
 * Creates a source mirror that publishes versions of git-less storage (internal, memory) as
 * commits on GitHub, so providers that only build git (Railway, Render) can deploy them.
 * Pass it to `createVector({ sourceMirror })`; the engine calls it only for such
 * deployments, once per version.
 *
 * Layout: one private repository per project (`scope: 'project'`, versions on `main`) or per
 * organization (`scope: 'organization'`, each project on branch `vector/<project id>`),
 * created when missing. Each version is one commit, tagged `vector/versions/<version id>`;
 * a publish first looks for that tag, so a retry after a crash reuses the commit. The commit
 * is derived from the version alone (files, message, `createdAt` as its dates, the parent
 * version's mirrored commit as its parent when there is one), and the branch moves forward
 * to the newest mirrored version only.
 *
 * @example
 * ```ts
 * const sourceMirror = createGitHubSourceMirror({ auth: { token: process.env.GITHUB_TOKEN! }, owner: 'acme-mirrors', scope: 'organization' });
 * const vector = createVector({ database, storage: [createInternalStorage({ database })], providers: [railway], sourceMirror });
 * ```
 * @throws ValidationError when options are invalid or no credentials are found.
 */
export function createGitHubSourceMirror(options: GitHubSourceMirrorOptions = {}): GitHubSourceMirror {
  const resolved = resolveSourceMirrorOptions(options);
  const octokit = createGitHubClient(resolved);

  return defineSourceMirror({
    specificationVersion: 'v1',
    name: resolved.name,

    async publish({ project, version, getFiles, signal }) {
      for (const id of version.parentId === null ? [version.id] : [version.id, version.parentId]) parseInput(branchSchema, `${VERSION_TAG_PREFIX}${id}`, 'version id');
      const context: RepositoryContext = { octokit, location: locateMirror(project, resolved), concurrency: resolved.concurrency, projectId: project.id, ...(signal ? { signal } : {}) };
      const { owner, repository, branch } = context.location;
      try {
        if (signal?.aborted) throw signal.reason;
        await ensureRepository(context, { create: true, ownerType: resolved.ownerType, private: true, description: resolved.scope === 'project' ? `Vector source mirror of project ${project.id}` : `Vector source mirror of organization ${project.organizationId}` });
        const commit = await publishVersion(context, { project, version, getFiles, author: resolved.author, maxFileBytes: GITHUB_MAX_FILE_BYTES });
        return { repositoryUrl: repositoryWebUrl(resolved.baseUrl, owner, repository), owner, repository, branch, commitSha: commit.sha };
      } catch (error) {
        // An abort surfaces from fetch as a network error; report it as what it is.
        if (signal?.aborted && !(VectorError.isInstance(error) && error.code === 'CONFLICT')) {
          throw new CancelledError({ message: `Publishing version ${version.id} was cancelled; a retry reuses whatever was written.`, cause: error });
        }
        throw error;
      }
    },
  });
}
