/**
 * `@vector/example-custom-storage`: a Vector storage backend written from scratch, keeping
 * code versions as plain files on disk.
 * @packageDocumentation
 */
export { createFilesystemStorage, type FilesystemStorageOptions } from './create-filesystem-storage.js';
