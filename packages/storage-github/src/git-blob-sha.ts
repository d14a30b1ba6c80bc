import { createHash } from 'node:crypto';

/**
 * The SHA-1 git gives a blob with these bytes (`git hash-object`), so a file's hash can be
 * compared with a tree entry without uploading it first.
 */
export function gitBlobSha(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}
