import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/validation-error.js';
import { findPathConflict, lastWriteInConflict, pathConflictError } from './path-conflicts.js';

describe('findPathConflict', () => {
  it('finds a file that is also a directory, at any depth', () => {
    expect(findPathConflict(['a', 'a/b.txt'])).toEqual({ file: 'a', nested: 'a/b.txt' });
    expect(findPathConflict(['x/y/z/w.txt', 'keep.txt', 'x/y'])).toEqual({ file: 'x/y', nested: 'x/y/z/w.txt' });
  });

  it('tells prefixes that are not directories apart', () => {
    expect(findPathConflict(['a', 'a-b/c.txt', 'ab/c.txt', 'a.txt', 'b/a', 'b/ab/c'])).toBeNull();
    expect(findPathConflict([])).toBeNull();
  });
});

describe('lastWriteInConflict and pathConflictError', () => {
  const conflict = { file: 'a', nested: 'a/b.txt' };

  it('names the last write of either path, or none', () => {
    expect(lastWriteInConflict([{ type: 'write', path: 'a/b.txt' }, { type: 'write', path: 'a' }, { type: 'delete', path: 'a' }, { type: 'write', path: 'c' }], conflict)).toBe(1);
    expect(lastWriteInConflict([{ type: 'delete', path: 'a' }], conflict)).toBe(-1);
    // Either path counts, the first change too.
    expect(lastWriteInConflict([{ type: 'write', path: 'a/b.txt' }, { type: 'delete', path: 'a/b.txt' }], conflict)).toBe(0);
    expect(lastWriteInConflict([{ type: 'write', path: 'a' }], conflict)).toBe(0);
    expect(lastWriteInConflict([], conflict)).toBe(-1);
  });

  it('is a ValidationError naming both paths', () => {
    const error = pathConflictError(conflict, ['changes', 2, 'path']);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('both a and a/b.txt');
    expect(error.issues).toEqual([{ path: ['changes', 2, 'path'], message: 'a would be both a file and the directory holding a/b.txt' }]);
  });
});
