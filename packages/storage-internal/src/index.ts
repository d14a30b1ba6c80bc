/**
 * `@vector/storage-internal`: a Vector storage backend that keeps code versions in the
 * database, content-addressed like git.
 * @packageDocumentation
 */
export { createInternalStorage, DEFAULT_MAX_FILE_BYTES, type InternalStorage, type InternalStorageOptions } from './create-internal-storage.js';
