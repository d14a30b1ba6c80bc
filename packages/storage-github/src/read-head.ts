import { ProviderError, type StorageHead } from '@vector/core';
import { readBranchHead } from './branch-head.js';
import { readCommit } from './git-reader.js';
import type { RepositoryContext } from './repository-context.js';

/**
 * The commit the project's branch points at now, with its message and author, whoever made
 * it (a Vector version, a person's push, a bot). Null when the branch does not exist, the
 * repository is missing, or it is still empty (GitHub's Git Data API answers 409 for those).
 */
export async function readHead(context: RepositoryContext): Promise<StorageHead | null> {
  let ref: string | null;
  try {
    ref = await readBranchHead(context);
  } catch (error) {
    // An empty repository has no branch yet.
    if (ProviderError.isInstance(error) && error.status === 409) return null;
    throw error;
  }
  if (ref === null) return null;
  // The head may be anyone's commit, a Vector version of another project sharing the repository included.
  const commit = await readCommit(context, ref, { anyProject: true });
  return { ref: commit.sha, message: commit.message, author: { name: commit.author.name, email: commit.author.email } };
}
