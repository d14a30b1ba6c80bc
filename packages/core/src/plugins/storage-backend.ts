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
}

/** The storage contract. A union so later versions can be added beside v1. */
export type StorageBackend = StorageBackendV1;
