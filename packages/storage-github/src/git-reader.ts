import { NotFoundError } from '@vector/core';
import { commitShaSchema } from './github-names.js';
import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** A file in a git tree, as this package lists it. */
export interface TreeFile {
  path: string;
  /** Git file mode, e.g. `100644`. */
  mode: string;
  /** Git blob SHA. */
  sha: string;
  size: number;
}

/** A commit's author as git records it. */
export interface CommitAuthor {
  name: string;
  email: string;
  /** ISO-8601, as GitHub reports it. */
  date: string;
}

/** The parts of a commit this package reads. */
export interface CommitInfo {
  sha: string;
  treeSha: string;
  parents: string[];
  message: string;
  /** Who wrote the commit (not who pushed it). */
  author: CommitAuthor;
}

function versionNotFound(ref: string, cause?: unknown): NotFoundError {
  return new NotFoundError({ entity: 'version', id: ref.slice(0, 80), ...(cause === undefined ? {} : { cause }) });
}

/** The value of a commit message's last `<key>: <value>` trailer line, or null when it has none. */
export function trailerOf(message: string, key: string): string | null {
  const matches = [...message.matchAll(new RegExp(`^${key}: (.+)$`, 'gm'))];
  return matches.at(-1)?.[1]?.trim() ?? null;
}

/** The project a Vector commit's `Vector-Project:` trailer names (the last one), or null for other commits. */
export function vectorProjectOf(message: string): string | null {
  return trailerOf(message, 'Vector-Project');
}

/**
 * Reads a commit; an unknown or malformed ref is a `NotFoundError` (entity `version`), and
 * so is a Vector version of another project when the context names a project (repositories
 * may be shared, and a ref is only ever valid for the project that saved it). Commits
 * without the trailer (a repository's own history, an adopted import) stay readable;
 * `anyProject` skips the check for callers that inspect a branch head.
 */
export async function readCommit(context: RepositoryContext, ref: string, options: { anyProject?: boolean } = {}): Promise<CommitInfo> {
  if (!commitShaSchema.safeParse(ref).success) throw versionNotFound(ref);
  let commit: CommitInfo;
  try {
    const { data } = await context.octokit.rest.git.getCommit({ ...repoParams(context), commit_sha: ref, request: { signal: context.signal } });
    commit = {
      sha: data.sha,
      treeSha: data.tree.sha,
      parents: data.parents.map((parent) => parent.sha),
      message: data.message,
      author: { name: data.author.name, email: data.author.email, date: data.author.date },
    };
  } catch (error) {
    // 422 is GitHub's answer for a SHA that names no commit; 404 for unknown objects/repos.
    if (statusOf(error) === 404 || statusOf(error) === 422) throw versionNotFound(ref, error);
    throw toVectorError(error, 'reading a commit');
  }
  const owner = vectorProjectOf(commit.message);
  if (!options.anyProject && context.projectId !== undefined && owner !== null && owner !== context.projectId) throw versionNotFound(ref);
  return commit;
}

async function getTree(context: RepositoryContext, treeSha: string, recursive: boolean) {
  try {
    const { data } = await context.octokit.rest.git.getTree({
      ...repoParams(context),
      tree_sha: treeSha,
      // Any value of `recursive` (even "0") turns recursion on, so it must be omitted.
      ...(recursive ? { recursive: '1' } : {}),
      request: { signal: context.signal },
    });
    return data;
  } catch (error) {
    throw toVectorError(error, 'reading a tree');
  }
}

/**
 * Every file (blob entry) under `treeSha`, sorted by path. Uses one recursive read; when
 * GitHub truncates it (over 100,000 entries or 7 MB) walks sub-trees one level at a time.
 */
export async function listTree(context: RepositoryContext, treeSha: string): Promise<TreeFile[]> {
  const whole = await getTree(context, treeSha, true);
  const files: TreeFile[] = [];
  if (!whole.truncated) {
    for (const entry of whole.tree) {
      if (entry.type === 'blob' && entry.path && entry.sha && entry.mode) files.push({ path: entry.path, mode: entry.mode, sha: entry.sha, size: entry.size ?? 0 });
    }
  } else {
    const pending: Array<{ prefix: string; sha: string }> = [{ prefix: '', sha: treeSha }];
    while (pending.length > 0) {
      const batch = pending.splice(0, context.concurrency);
      const trees = await Promise.all(batch.map((item) => getTree(context, item.sha, false).then((tree) => ({ item, tree }))));
      for (const { item, tree } of trees) {
        for (const entry of tree.tree) {
          if (!entry.path || !entry.sha) continue;
          const path = `${item.prefix}${entry.path}`;
          if (entry.type === 'tree') pending.push({ prefix: `${path}/`, sha: entry.sha });
          else if (entry.type === 'blob' && entry.mode) files.push({ path, mode: entry.mode, sha: entry.sha, size: entry.size ?? 0 });
        }
      }
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Finds one path by walking its directories (one non-recursive read per level). */
export async function findTreeFile(context: RepositoryContext, treeSha: string, path: string): Promise<TreeFile | null> {
  const segments = path.split('/');
  let current = treeSha;
  for (let index = 0; index < segments.length; index += 1) {
    const tree = await getTree(context, current, false);
    const entry = tree.tree.find((candidate) => candidate.path === segments[index]);
    if (!entry?.sha) return null;
    const last = index === segments.length - 1;
    if (last) return entry.type === 'blob' && entry.mode ? { path, mode: entry.mode, sha: entry.sha, size: entry.size ?? 0 } : null;
    if (entry.type !== 'tree') return null;
    current = entry.sha;
  }
  return null;
}

/** A blob's bytes (GitHub sends base64 with line breaks, which Buffer ignores). */
export async function readBlob(context: RepositoryContext, sha: string): Promise<Uint8Array> {
  try {
    const { data } = await context.octokit.rest.git.getBlob({ ...repoParams(context), file_sha: sha, request: { signal: context.signal } });
    const bytes = data.encoding === 'base64' ? Buffer.from(data.content, 'base64') : Buffer.from(data.content, 'utf8');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw toVectorError(error, 'reading a blob');
  }
}
