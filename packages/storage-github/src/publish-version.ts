import { type FileChange, LimitExceededError, normalizeFilePath, type SourceFile, type SourceMirrorProject, type SourceMirrorVersion, ValidationError } from '@vector/core';
import { applyChanges } from './apply-changes.js';
import { listTree } from './git-reader.js';
import { advanceMirrorBranch, inspectMirrorBranch } from './mirror-branch.js';
import { type MirroredCommit, mirrorCommitMessage, readMirroredCommit, tagMirroredCommit } from './mirror-commits.js';
import { checkSignal, type RepositoryContext } from './repository-context.js';
import { writeCommit } from './write-commit.js';
import { writeTree } from './write-tree.js';

/** What {@link publishVersion} mirrors. */
export interface PublishVersionInput {
  project: SourceMirrorProject;
  version: SourceMirrorVersion;
  getFiles(): Promise<SourceFile[]>;
  author: { name: string; email: string };
  maxFileBytes: number;
}

/** Git wants whole seconds: `2026-01-02T03:04:05Z`. */
function gitDate(iso: string): string {
  const time = Date.parse(iso);
  if (!Number.isFinite(time)) throw new ValidationError({ message: `Version createdAt ${JSON.stringify(iso)} is not a date`, issues: [{ path: ['version', 'createdAt'], message: 'not a date' }] });
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The version's files as changes on top of the parent's files: deletions first, then every file. */
function toChanges(files: ReadonlyArray<SourceFile>, parentPaths: ReadonlyArray<string>, maxFileBytes: number): FileChange[] {
  const writes = files.map((file): FileChange => {
    const path = normalizeFilePath(file.path);
    if (!(file.content instanceof Uint8Array)) throw new ValidationError({ message: `Content of ${path} must be a Uint8Array`, issues: [{ path: ['files', path], message: 'not bytes' }] });
    if (file.content.byteLength > maxFileBytes) {
      throw new LimitExceededError({ limit: 'file_size', message: `${path} is ${file.content.byteLength} bytes; a GitHub mirror accepts at most ${maxFileBytes}`, details: { path, size: file.content.byteLength, maxFileBytes } });
    }
    return { type: 'write', path, content: file.content };
  });
  const kept = new Set(writes.map((write) => write.path));
  return [...parentPaths.filter((path) => !kept.has(path)).map((path): FileChange => ({ type: 'delete', path })), ...writes];
}

/**
 * Publishes one version as a commit in the context's repository and returns it:
 *
 * 1. the commit published earlier, found through the version's tag, when there is one (a
 *    retry, a crash after publishing, another process) — nothing is written;
 * 2. otherwise the branch is checked (never overwritten when it holds foreign commits), the
 *    files are written on top of the parent version's mirrored commit when there is one
 *    (only changed content is sent) or as a root commit, with message, author and dates
 *    derived from the version, and the commit is tagged;
 * 3. then the branch moves to it when it is the newest mirrored version.
 */
export async function publishVersion(context: RepositoryContext, input: PublishVersionInput): Promise<MirroredCommit> {
  const { project, version } = input;
  const projectId = project.id;
  const earlier = await readMirroredCommit(context, { projectId, versionId: version.id });
  if (earlier) {
    await advanceMirrorBranch(context, { projectId, commit: earlier });
    return earlier;
  }
  const branch = await inspectMirrorBranch(context, projectId);
  const parent = version.parentId === null ? null : await readMirroredCommit(context, { projectId, versionId: version.parentId });
  checkSignal(context);
  const files = await input.getFiles();
  checkSignal(context);
  const parentFiles = parent ? await listTree(context, parent.treeSha) : [];
  const finalFiles = applyChanges(parentFiles, toChanges(files, parentFiles.map((file) => file.path), input.maxFileBytes));
  const tree = await writeTree(context, { parentFiles, parentTreeSha: parent?.treeSha ?? null, finalFiles });
  checkSignal(context);
  const signature = { ...input.author, date: gitDate(version.createdAt) };
  const message = mirrorCommitMessage(project, version);
  const parents = parent ? [parent.sha] : [];
  const sha = await writeCommit(context, { message, tree, parents, author: signature, committer: signature });
  const commit = await tagMirroredCommit(context, { projectId, versionId: version.id, commit: { sha, treeSha: tree, parents, message, versionNumber: version.number } });
  await advanceMirrorBranch(context, { projectId, commit, known: branch });
  return commit;
}
