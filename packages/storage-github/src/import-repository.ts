import type { Octokit } from '@octokit/rest';
import { type FileChange, type ImportRepositoryInput, LimitExceededError, NotFoundError, normalizeFilePath } from '@vector/core';
import { readBranchHead } from './branch-head.js';
import { listTree, readBlob, readCommit } from './git-reader.js';
import { commitShaSchema } from './github-names.js';
import { statusOf, toVectorError } from './github-error.js';
import { mapWithConcurrency, type RepositoryContext } from './repository-context.js';

/** What to import as a project's first version: core's contract input (kept exported here for existing imports). */
export type { ImportRepositoryInput };

async function resolveSourceCommit(source: RepositoryContext, ref: string | undefined): Promise<string> {
  const params = { owner: source.location.owner, repo: source.location.repository };
  if (ref && commitShaSchema.safeParse(ref).success) return ref;
  try {
    const branch = ref ?? (await source.octokit.rest.repos.get(params)).data.default_branch;
    for (const candidate of [`heads/${branch}`, `tags/${branch}`]) {
      try {
        const { data } = await source.octokit.rest.git.getRef({ ...params, ref: candidate });
        if (data.object.type === 'commit') return data.object.sha;
        // An annotated tag points at a tag object, which points at the commit.
        const tag = await source.octokit.rest.git.getTag({ ...params, tag_sha: data.object.sha });
        return tag.data.object.sha;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
  } catch (error) {
    if (statusOf(error) === 404) throw new NotFoundError({ entity: 'repository', id: `${params.owner}/${params.repo}`, cause: error });
    throw toVectorError(error, 'resolving the import ref');
  }
  throw new NotFoundError({ entity: 'ref', id: `${params.owner}/${params.repo}@${ref ?? ''}` });
}

/**
 * Copies the files of a commit of any repository the credentials can read and saves them
 * as the project's first version (parent null). Submodules are skipped; a file over the
 * size limit or with a path Vector refuses fails the whole import before anything is written.
 */
export async function importRepository(
  setup: { octokit: Octokit; concurrency: number; maxFileBytes: number; target: RepositoryContext; save: (changes: FileChange[]) => Promise<{ ref: string }> },
  input: ImportRepositoryInput,
): Promise<{ ref: string }> {
  const source: RepositoryContext = {
    octokit: setup.octokit,
    concurrency: setup.concurrency,
    location: { owner: input.owner, repository: input.repository, branch: input.ref ?? '', userConfigured: true },
  };
  const commit = await readCommit(source, await resolveSourceCommit(source, input.ref));
  // Adopting the project's own repository: its branch tip becomes the first version as is
  // (modes, history and all), so nothing is copied and nothing is dropped.
  const target = setup.target.location;
  const sameRepository = target.owner.toLowerCase() === input.owner.toLowerCase() && target.repository.toLowerCase() === input.repository.toLowerCase();
  if (sameRepository && (await readBranchHead(setup.target)) === commit.sha) return { ref: commit.sha };
  const files = await listTree(source, commit.treeSha);
  for (const file of files) {
    normalizeFilePath(file.path);
    if (file.size > setup.maxFileBytes) {
      throw new LimitExceededError({ limit: 'file_size', message: `${file.path} is ${file.size} bytes; GitHub storage accepts at most ${setup.maxFileBytes}`, details: { path: file.path, size: file.size } });
    }
  }
  const changes = await mapWithConcurrency(files, setup.concurrency, async (file): Promise<FileChange> => ({ type: 'write', path: file.path, content: await readBlob(source, file.sha) }));
  return setup.save(changes);
}
