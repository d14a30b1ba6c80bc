import { type FileChange, LimitExceededError, normalizeFilePath, sha256Hex, ValidationError, VectorError } from '@vector/core';

/** A change whose path is normalised and whose content is checked and hashed. */
export type ValidatedChange = { type: 'write'; path: string; content: Uint8Array; hash: string; size: number } | { type: 'delete'; path: string };

/**
 * Checks every change before anything is written: paths follow core's rules (relative,
 * normalised, no `..`, no NUL), content is bytes and at most `maxFileBytes`.
 *
 * @throws ValidationError naming the change (`changes.<index>.path`) that broke a rule.
 * @throws LimitExceededError (`file_size`) for content over the limit.
 */
export function validateChanges(changes: ReadonlyArray<FileChange>, maxFileBytes: number): ValidatedChange[] {
  if (!Array.isArray(changes)) throw new ValidationError({ message: 'changes must be an array', issues: [{ path: ['changes'], message: 'expected an array' }] });
  return changes.map((change, index): ValidatedChange => {
    const fail = (message: string, field: string, cause?: unknown): never => {
      throw new ValidationError({ message: `Change ${index}: ${message}`, issues: [{ path: ['changes', index, field], message }], cause });
    };
    if (typeof change !== 'object' || change === null || (change.type !== 'write' && change.type !== 'delete')) fail('type must be "write" or "delete"', 'type');
    let path = '';
    try {
      path = normalizeFilePath(change.path);
    } catch (error) {
      if (!VectorError.isInstance(error)) throw error;
      fail(error.message, 'path', error);
    }
    if (change.type === 'delete') return { type: 'delete', path };
    if (!(change.content instanceof Uint8Array)) return fail('content must be a Uint8Array', 'content');
    if (change.content.byteLength > maxFileBytes) {
      throw new LimitExceededError({
        limit: 'file_size',
        message: `File ${path} is ${change.content.byteLength} bytes; internal storage accepts at most ${maxFileBytes} bytes per file (option maxFileBytes)`,
        details: { path, size: change.content.byteLength, maxFileBytes },
      });
    }
    return { type: 'write', path, content: change.content, hash: sha256Hex(change.content), size: change.content.byteLength };
  });
}
