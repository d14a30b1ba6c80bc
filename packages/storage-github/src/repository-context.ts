import type { Octokit } from '@octokit/rest';
import { CancelledError } from '@vector/core';
import type { RepositoryLocation } from './repository-location.js';

/** What every git operation needs: the client, where the repository is, and limits. */
export interface RepositoryContext {
  octokit: Octokit;
  location: RepositoryLocation;
  /** Parallel blob requests per call. */
  concurrency: number;
  /** The project the repository is used for; commits of other Vector projects are then not readable as versions. */
  projectId?: string;
  signal?: AbortSignal;
}

/** `{ owner, repo }` as octokit's parameters name them. */
export function repoParams(context: RepositoryContext): { owner: string; repo: string } {
  return { owner: context.location.owner, repo: context.location.repository };
}

/** Runs `task` over `items` with at most `limit` in flight; results keep input order. */
export async function mapWithConcurrency<T, R>(items: ReadonlyArray<T>, limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Throws `CancelledError` once the context's signal has aborted; called between writes. */
export function checkSignal(context: RepositoryContext): void {
  if (context.signal?.aborted) throw new CancelledError({ message: 'Cancelled; nothing was published.', cause: context.signal.reason });
}
