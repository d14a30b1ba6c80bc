import { z } from 'zod';
import type { SourceFile } from '../schemas/source-file.js';
import type { GitSource } from './storage-backend.js';

/** The project whose version a source mirror publishes. */
export interface SourceMirrorProject {
  id: string;
  organizationId: string;
  /** Display name; it can change, so a mirror must not put it in anything it hashes. */
  name: string;
}

/**
 * The version a source mirror publishes. Every field is fixed once the version exists, so a
 * mirror can derive the same commit from them on every call.
 */
export interface SourceMirrorVersion {
  id: string;
  /** 1, 2, 3… per project. */
  number: number;
  /** The storage backend's ref of the version. */
  storageRef: string;
  /** The version it was built on, null for the first; a mirror may give its commit that parent. */
  parentId: string | null;
  /** The version's message. */
  message: string;
  /** When the version was recorded, ISO-8601 UTC. */
  createdAt: string;
}

/** What {@link SourceMirrorV1.publish} is given. */
export interface SourceMirrorPublishInput {
  project: SourceMirrorProject;
  version: SourceMirrorVersion;
  /** Loads the version's files from the project's storage (all of them, sorted by path). */
  getFiles(): Promise<SourceFile[]>;
  /** Aborts the publish; a mirror stops and throws `CancelledError`. */
  signal?: AbortSignal;
}

/**
 * Version 1 of the source-mirror contract: publishes a code version's files as a git commit,
 * so deployment providers that only build git commits (Railway, Render) can deploy projects
 * whose storage has no git source (internal storage, memory storage).
 *
 * The engine calls `publish` when a deployment's provider does not accept raw files
 * (`capabilities.sources` lacks `'files'`) and the project's storage declares no
 * `gitSource`. It stores the returned {@link GitSource} per version and mirror name, so a
 * version is published at most once per mirror; later deployments of it reuse the stored
 * commit without calling the mirror.
 *
 * Guarantees a mirror must give:
 * - **Same version, same commit.** Publishing a version again — after a crash mid-publish,
 *   from another process, or concurrently — returns the same `commitSha`, `repository` and
 *   `branch`. A mirror looks for the commit it made earlier before writing anything, and
 *   derives everything it commits (tree, message, author, dates, parents) from the input's
 *   fixed fields, never from the clock.
 * - **Exact content.** The commit's tree holds exactly the version's files, byte for byte.
 * - **Buildable.** The commit stays reachable in the repository (a ref keeps it from
 *   garbage collection), and `branch` exists there, so a provider can connect a service to
 *   the repository and branch and build the pinned `commitSha`. The branch may move on to
 *   newer versions; providers must build `commitSha`, not the branch head.
 * - **Isolation.** A mirror only reads the project's files through `getFiles`; it never
 *   writes to the project's storage, and never publishes one project's files on another
 *   project's branch.
 *
 * Remote failures throw `ProviderError` with `isRetryable` set; an aborted `signal` throws
 * `CancelledError`.
 */
export interface SourceMirrorV1 {
  readonly specificationVersion: 'v1';
  /** Registry name, e.g. `github`; stored with each published version. */
  readonly name: string;
  /** Called once by core before first use. */
  init?(): Promise<void>;
  /** Called once by core on shutdown. */
  dispose?(): Promise<void>;
  /** Publishes the version as a git commit (or finds the one published earlier) and says where it is. */
  publish(input: SourceMirrorPublishInput): Promise<GitSource>;
}

/** The source-mirror contract. A union so later versions can be added beside v1. */
export type SourceMirror = SourceMirrorV1;

/** What core accepts back from `publish` (internal: checked by the engine). */
export const publishedGitSourceSchema = z.object({
  repositoryUrl: z.url(),
  owner: z.string().min(1),
  repository: z.string().min(1),
  branch: z.string().min(1),
  commitSha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'a full commit SHA'),
});
