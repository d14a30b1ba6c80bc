import type { FileChange, FileDiff, FileEntry, SourceFile } from '../schemas/source-file.js';

/** What a storage backend is told about the project it stores. */
export interface StorageProject {
  id: string;
  organizationId: string;
  name: string;
  /** The project's `settings.storage` object (e.g. a GitHub owner/repo); backend-defined. */
  settings: Record<string, unknown>;
}

/** Optional features a backend declares; core and the conformance kit skip what is absent. */
export interface StorageCapabilities {
  /** Can store non-UTF-8 content byte for byte. */
  binary: boolean;
  /** Implements `collectGarbage`. */
  garbageCollection: boolean;
  /** Implements `describeGitSource` (deployment providers can build from git). */
  gitSource: boolean;
  /** Largest file, in bytes, the backend accepts. */
  maxFileBytes: number;
  /**
   * Others can change what the backend stores (a git branch people push to): implements
   * `describeLocation`, `readHead`, `relateRefs` and `keepOver`, so the engine can turn an
   * outside change into a version and settle a divergence. Absent: false.
   */
  externalChanges?: boolean;
  /** Implements `importRepository` (adopting an existing repository as a new project). Absent: false. */
  importRepository?: boolean;
}

/** Where a backend keeps a project, for routing outside changes (a push) to it. */
export interface StorageLocation {
  /** e.g. `https://github.com/acme/app` */
  repositoryUrl: string;
  owner: string;
  repository: string;
  branch: string;
}

/** The commit at the head of a project's branch. */
export interface StorageHead {
  ref: string;
  message: string;
  author: { name: string; email: string };
}

/** How `head` relates to `base`: `ahead` when `head` contains `base`, `behind` for the reverse, `diverged` when each has commits the other lacks, `unrelated` when they share no history. */
export interface RefRelation {
  status: 'identical' | 'ahead' | 'behind' | 'diverged' | 'unrelated';
  /** Commits `head` has that `base` lacks. */
  aheadBy: number;
  /** Commits `base` has that `head` lacks. */
  behindBy: number;
}

/** Input of {@link StorageBackendV1.keepOver}. */
export interface KeepOverInput {
  project: StorageProject;
  /** The ref whose files are kept (Vector's head). */
  ref: string;
  /** The ref the branch moved to (the outside change), kept in the history but not in the files. */
  over: string;
  message: string;
  author: { name: string; email: string };
}

/** Input of {@link StorageBackendV1.importRepository}. */
export interface ImportRepositoryInput {
  project: StorageProject;
  /** Owner of the repository to import from. */
  owner: string;
  /** Repository to import from. */
  repository: string;
  /** Branch, tag or commit. Default: the repository's default branch. */
  ref?: string;
  message?: string;
  author?: { name: string; email: string };
}

/** A git location a deployment provider can build from. */
export interface GitSource {
  /** e.g. `https://github.com/acme/app` */
  repositoryUrl: string;
  owner: string;
  repository: string;
  branch: string;
  commitSha: string;
}

/** Input of {@link StorageBackendV1.createProject} and {@link StorageBackendV1.deleteProject}. */
export interface StorageProjectInput {
  /** The project whose storage to prepare or remove. */
  project: StorageProject;
}

/** Input of {@link StorageBackendV1.saveVersion}. */
export interface SaveVersionInput {
  /** The project the version belongs to. */
  project: StorageProject;
  /** The ref to save on top of; null: an empty tree. */
  parentRef: string | null;
  /** The writes and deletes to apply on top of `parentRef`. */
  changes: ReadonlyArray<FileChange>;
  /** The version's message. */
  message: string;
  /** Who made the version. */
  author: { name: string; email: string };
  /** Aborts the save. */
  signal?: AbortSignal;
}

/** What {@link StorageBackendV1.saveVersion} returns. */
export interface SaveVersionResult {
  /** The new version's ref; immutable. */
  ref: string;
  /** Files in the saved version, when the backend knows it cheaply. */
  fileCount?: number;
}

/** Input of {@link StorageBackendV1.finalizeVersion}. */
export interface FinalizeVersionInput {
  /** The project `ref` belongs to. */
  project: StorageProject;
  /** The ref `saveVersion` returned, now recorded by the engine. */
  ref: string;
  /** The ref it was saved on top of (the `parentRef` of that save). */
  parentRef: string | null;
}

/** Input of {@link StorageBackendV1.getFiles}. */
export interface GetFilesInput {
  /** The project `ref` belongs to. */
  project: StorageProject;
  /** The version to read. */
  ref: string;
  /** Only these paths (missing ones are left out); all files when absent. */
  paths?: ReadonlyArray<string>;
}

/** Input of {@link StorageBackendV1.getFile}. */
export interface GetFileInput {
  /** The project `ref` belongs to. */
  project: StorageProject;
  /** The version to read. */
  ref: string;
  /** The file's path. */
  path: string;
}

/** Input of {@link StorageBackendV1.listFiles}. */
export interface ListFilesInput {
  /** The project `ref` belongs to. */
  project: StorageProject;
  /** The version to list. */
  ref: string;
}

/** Input of {@link StorageBackendV1.diffVersions}. */
export interface DiffVersionsInput {
  /** The project both refs belong to. */
  project: StorageProject;
  /** The version to compare from; null: an empty tree. */
  fromRef: string | null;
  /** The version to compare to. */
  toRef: string;
}

/** Input of {@link StorageBackendV1.describeGitSource}. */
export interface DescribeGitSourceInput {
  /** The project `ref` belongs to. */
  project: StorageProject;
  /** The version to build. */
  ref: string;
}

/** Input of {@link StorageBackendV1.collectGarbage}. */
export interface CollectGarbageInput {
  /**
   * Refs to keep, with everything they reach. Core passes every ref its CodeVersion rows
   * hold, for backends that share a database.
   */
  liveRefs: ReadonlySet<string>;
  /**
   * Refs saved after this instant are kept too, live or not (core passes now minus a grace
   * period, so saves whose versions are not recorded yet survive).
   */
  startedBefore: Date;
}

/** What {@link StorageBackendV1.collectGarbage} removed. */
export interface CollectGarbageResult {
  /** Stored objects deleted (what an object is is backend-defined: versions, trees, blobs…). */
  removedObjects: number;
  /** Stored bytes those objects took. */
  freedBytes: number;
}

/**
 * Version 1 of the storage contract: where a project's code versions live.
 *
 * Guarantees a backend must give (the conformance kit checks them):
 * - `saveVersion` is all-or-nothing from the caller's view: it returns a ref only once every
 *   file is durable, and a failed call leaves no ref visible. Refs are immutable: reading a
 *   ref returns the same files forever.
 * - Paths are validated with core's `normalizeFilePath`; content over `maxFileBytes` is
 *   rejected with `LimitExceededError`.
 * - Listing and diff output is sorted by path.
 *
 * The engine calls `saveVersion` before it records the CodeVersion row; a ref whose row was
 * never written (a crash, a lost race) is unreferenced and safe to garbage-collect.
 */
export interface StorageBackendV1 {
  readonly specificationVersion: 'v1';
  /** Registry name, e.g. `internal`, `github`. */
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  /** Called once by core before first use. */
  init?(): Promise<void>;
  /** Called once by core on shutdown. */
  dispose?(): Promise<void>;
  /** Prepares a new project's storage (e.g. creates a repository). Idempotent. */
  createProject?(input: StorageProjectInput): Promise<void>;
  /** Removes everything stored for a project. Idempotent. */
  deleteProject?(input: StorageProjectInput): Promise<void>;
  /**
   * Saves `changes` on top of `parentRef` (null: an empty tree) and returns the new ref.
   * A backend whose own head moved since `parentRef` (someone pushed) throws `ConflictError`.
   */
  saveVersion(input: SaveVersionInput): Promise<SaveVersionResult>;
  /**
   * Optional second phase of a save, called once the engine has recorded the version. A
   * backend whose saves are visible to others (a git branch) should move its public head
   * here rather than in `saveVersion`: then a crash between saving and recording leaves no
   * unrecorded head behind. Must be idempotent, and must tolerate never being called (a
   * crash right after recording): a later `saveVersion` whose `parentRef` is a recorded but
   * unfinalized ref has to succeed. A failure here does not undo the recorded version; the
   * engine reports it as a warning.
   */
  finalizeVersion?(input: FinalizeVersionInput): Promise<void>;
  /** Files at `ref`; all of them, or only `paths` (missing paths are left out). */
  getFiles(input: GetFilesInput): Promise<SourceFile[]>;
  /** One file at `ref`, or null when the path does not exist there. */
  getFile(input: GetFileInput): Promise<SourceFile | null>;
  /** Paths, sizes and hashes at `ref`, sorted by path. */
  listFiles(input: ListFilesInput): Promise<FileEntry[]>;
  /** How `toRef` differs from `fromRef` (null: from an empty tree), sorted by path. */
  diffVersions(input: DiffVersionsInput): Promise<FileDiff[]>;
  /** Where to build `ref` from with git; required when `capabilities.gitSource`. */
  describeGitSource?(input: DescribeGitSourceInput): Promise<GitSource>;
  /** Deletes content no ref in `liveRefs` reaches; refs saved after `startedBefore` are kept. */
  collectGarbage?(input: CollectGarbageInput): Promise<CollectGarbageResult>;
  /** Where the project lives (no network call): lets the engine route a push to its projects. Required when `capabilities.externalChanges`. */
  describeLocation?(input: { project: StorageProject }): StorageLocation;
  /** The commit the project's branch points at now, whoever wrote it; null when the branch does not exist. Required when `capabilities.externalChanges`. */
  readHead?(input: { project: StorageProject }): Promise<StorageHead | null>;
  /** How `head` relates to `base` (both refs of the project). Required when `capabilities.externalChanges`. */
  relateRefs?(input: { project: StorageProject; base: string; head: string }): Promise<RefRelation>;
  /**
   * Settles a divergence in favour of `ref`: writes a commit with `ref`'s files whose parents
   * are `ref` and `over`, and moves the branch to it only if it still points at `over` (a
   * fast-forward, never a force-push: the outside commits stay in the history). A branch that
   * moved again is a `ConflictError`. Returns the new commit. Required when `capabilities.externalChanges`.
   */
  keepOver?(input: KeepOverInput): Promise<{ ref: string }>;
  /**
   * Saves the files of an existing repository's commit as the project's first version
   * (parent null) and returns its ref; like `saveVersion`, the engine finalizes it after
   * recording it. Required when `capabilities.importRepository`.
   */
  importRepository?(input: ImportRepositoryInput): Promise<{ ref: string }>;
}

/** The storage contract. A union so later versions can be added beside v1. */
export type StorageBackend = StorageBackendV1;
