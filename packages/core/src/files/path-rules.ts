import { ValidationError } from '../errors/validation-error.js';

/** Longest path, in characters, any backend must accept. */
export const MAX_PATH_LENGTH = 1024;

/**
 * Checks a project file path and returns its normal form. Paths are relative, use `/`,
 * have no empty, `.` or `..` segments, no NUL or control characters and no backslashes,
 * so a path can never escape the project root on any backend.
 *
 * @throws ValidationError (`VALIDATION_FAILED`) naming the rule the path broke.
 */
export function normalizeFilePath(path: string): string {
  const reject = (reason: string): never => {
    const shown = typeof path === 'string' ? JSON.stringify(path.slice(0, 200)) : `of type ${typeof path}`;
    throw new ValidationError({ message: `Invalid file path ${shown}: ${reason}`, issues: [{ path: ['path'], message: reason }] });
  };
  if (typeof path !== 'string') reject('is not a string');
  if (path.length === 0) reject('the path is empty');
  if (path.length > MAX_PATH_LENGTH) reject(`longer than ${MAX_PATH_LENGTH} characters`);
  // biome-ignore lint: control characters are exactly what we reject
  if (/[\u0000-\u001f\u007f]/.test(path)) reject('contains a NUL or control character');
  if (path.includes('\\')) reject('contains a backslash; use /');
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) reject('is absolute; paths are relative to the project root');
  const segments = path.replace(/^\.\//, '').split('/');
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === '..') reject('contains a .. segment');
    if (segment === '' || segment === '.') continue;
    kept.push(segment);
  }
  if (kept.length === 0) reject('names no file');
  return kept.join('/');
}

/** True when `path` is acceptable to {@link normalizeFilePath}. */
export function isValidFilePath(path: string): boolean {
  try {
    normalizeFilePath(path);
    return true;
  } catch {
    return false;
  }
}
