import { ConflictError, type SourceMirrorProject, type SourceMirrorVersion } from '@vector/core';
import { type CommitInfo, readCommit, trailerOf } from './git-reader.js';
import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** Tags `vector/versions/<version id>` index the mirrored commits (and keep them from garbage collection). */
export const VERSION_TAG_PREFIX = 'vector/versions/';

/** A commit the mirror made, with the version it holds. */
export interface MirroredCommit extends Pick<CommitInfo, 'sha' | 'treeSha' | 'parents' | 'message'> {
  versionNumber: number;
}

/**
 * The message of a version's mirrored commit: its subject and body from the version's
 * message, then trailers naming the project and version. Built from fixed fields only, so
 * a retry writes the same commit.
 */
export function mirrorCommitMessage(project: Pick<SourceMirrorProject, 'id'>, version: SourceMirrorVersion): string {
  const [subject = '', ...body] = version.message.trim().split('\n');
  const title = subject.trim().length > 0 ? `Version ${version.number}: ${subject.trim()}` : `Version ${version.number}`;
  const details = body.join('\n').trim();
  return `${title}\n\n${details.length > 0 ? `${details}\n\n` : ''}Vector-Project: ${project.id}\nVector-Version: ${version.id}\nVector-Version-Number: ${version.number}\n`;
}

/** The version number a commit mirrors for `projectId`, or null when it is no mirrored commit of that project. */
export function mirroredNumberOf(commit: Pick<CommitInfo, 'message'>, projectId: string): number | null {
  if (trailerOf(commit.message, 'Vector-Project') !== projectId || trailerOf(commit.message, 'Vector-Version') === null) return null;
  const number = Number(trailerOf(commit.message, 'Vector-Version-Number'));
  return Number.isSafeInteger(number) && number > 0 ? number : null;
}

function tagClash(context: RepositoryContext, versionId: string, message: string): ConflictError {
  const { owner, repository } = context.location;
  return new ConflictError({ message: `Tag ${VERSION_TAG_PREFIX}${versionId} of ${owner}/${repository} ${message}; delete the tag to let the mirror publish the version again.`, details: { owner, repository, tag: `${VERSION_TAG_PREFIX}${versionId}` } });
}

/**
 * The commit published earlier for a version, found through its tag, or null when there is
 * none. A tag that names anything but this project's commit of this version is a
 * `ConflictError`: it is never overwritten.
 */
export async function readMirroredCommit(context: RepositoryContext, input: { projectId: string; versionId: string }): Promise<MirroredCommit | null> {
  let object: { sha: string; type: string };
  try {
    const { data } = await context.octokit.rest.git.getRef({ ...repoParams(context), ref: `tags/${VERSION_TAG_PREFIX}${input.versionId}`, request: { signal: context.signal } });
    object = data.object;
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw toVectorError(error, 'reading a version tag');
  }
  if (object.type !== 'commit') throw tagClash(context, input.versionId, `points at a ${object.type}, not a commit`);
  const commit = await readCommit(context, object.sha, { anyProject: true });
  const versionNumber = mirroredNumberOf(commit, input.projectId);
  if (versionNumber === null || trailerOf(commit.message, 'Vector-Version') !== input.versionId) {
    throw tagClash(context, input.versionId, `points at commit ${commit.sha}, which is not the mirrored commit of version ${input.versionId} of project ${input.projectId}`);
  }
  return { ...commit, versionNumber };
}

/**
 * Tags a version's commit. When a concurrent publish tagged it first, its commit wins and is
 * returned: every caller then reports the same commit.
 */
export async function tagMirroredCommit(context: RepositoryContext, input: { projectId: string; versionId: string; commit: MirroredCommit }): Promise<MirroredCommit> {
  try {
    await context.octokit.rest.git.createRef({ ...repoParams(context), ref: `refs/tags/${VERSION_TAG_PREFIX}${input.versionId}`, sha: input.commit.sha, request: { signal: context.signal } });
    return input.commit;
  } catch (error) {
    if (statusOf(error) !== 422) throw toVectorError(error, 'tagging the version');
    const winner = await readMirroredCommit(context, input);
    if (winner) return winner;
    throw toVectorError(error, 'tagging the version');
  }
}
