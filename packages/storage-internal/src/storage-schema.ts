import type { ColumnType } from 'kysely';

/**
 * One content-addressed object of one project: a file's bytes (a blob) or a directory
 * listing (a tree, whose raw bytes start with `tree\n`). `hash` is the SHA-256 of the raw,
 * uncompressed bytes, so a blob's hash is the plain SHA-256 of the file.
 */
export interface StorageObjectTable {
  /** Name of the backend instance that first wrote the object; garbage collection is scoped by it. */
  backend: ColumnType<string, string | undefined, never>;
  project_id: string;
  hash: string;
  /** Raw (uncompressed) size in bytes. */
  size: number;
  /** Size of `data` as stored. */
  stored_bytes: number;
  /** {@link ObjectCompression} code. */
  compression: number;
  data: Uint8Array;
  /** Last time a save wrote or re-wrote the object (ms since epoch); GC keeps newer ones. */
  touched_at: ColumnType<number | string, number, number>;
}

/** One saved version: a root tree plus the parent it was saved on. The ref is its id. */
export interface StorageVersionTable {
  ref: string;
  /** Name of the backend instance that saved the version; garbage collection is scoped by it. */
  backend: ColumnType<string, string | undefined, never>;
  project_id: string;
  parent_ref: string | null;
  root_tree: string;
  file_count: number;
  message: string;
  author_name: string;
  author_email: string;
  created_at: ColumnType<number | string, number, never>;
  touched_at: ColumnType<number | string, number, number>;
}

/** The tables this package owns (all prefixed `vector_storage_`). */
export interface StorageDatabase {
  vector_storage_objects: StorageObjectTable;
  vector_storage_versions: StorageVersionTable;
}
