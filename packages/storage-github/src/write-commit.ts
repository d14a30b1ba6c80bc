import { toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** A commit's author or committer; without `date` GitHub stamps the current time. */
export interface CommitSignature {
  name: string;
  email: string;
  /** ISO-8601, whole seconds (`2026-01-02T03:04:05Z`). */
  date?: string;
}

/** What {@link writeCommit} commits. */
export interface WriteCommitInput {
  message: string;
  tree: string;
  /** Parent commit SHAs; empty for a root commit. */
  parents: string[];
  author: CommitSignature;
  /** Defaults to the author (GitHub's rule). */
  committer?: CommitSignature;
}

/** Creates a commit through the Git Data API and returns its SHA; the branch is not touched. */
export async function writeCommit(context: RepositoryContext, input: WriteCommitInput): Promise<string> {
  try {
    const { data } = await context.octokit.rest.git.createCommit({
      ...repoParams(context),
      message: input.message,
      tree: input.tree,
      parents: input.parents,
      author: input.author,
      ...(input.committer ? { committer: input.committer } : {}),
      request: { signal: context.signal },
    });
    return data.sha;
  } catch (error) {
    throw toVectorError(error, 'creating a commit');
  }
}
