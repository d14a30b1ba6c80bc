import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/validation-error.js';
import { isValidFilePath, MAX_PATH_LENGTH, normalizeFilePath } from './path-rules.js';

/** The reason `normalizeFilePath` gives for refusing `path` (fails when it accepts it). */
function refusal(path: unknown): { message: string; issues: ValidationError['issues'] } {
  try {
    normalizeFilePath(path as string);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const { message, issues } = error as ValidationError;
    return { message, issues };
  }
  throw new Error(`accepted ${JSON.stringify(path)}`);
}

describe('normalizeFilePath', () => {
  it('returns the normal form: no leading ./, no empty or . segments', () => {
    expect(normalizeFilePath('src/app.tsx')).toBe('src/app.tsx');
    expect(normalizeFilePath('./src//./app.tsx/')).toBe('src/app.tsx');
    expect(normalizeFilePath('a/./b')).toBe('a/b');
    // A colon is only a drive letter at the start; a name holding one is a name.
    expect(normalizeFilePath('notes/a:b.txt')).toBe('notes/a:b.txt');
    expect(normalizeFilePath('ab:c')).toBe('ab:c');
    expect(normalizeFilePath('..hidden/x..y')).toBe('..hidden/x..y');
  });

  it('names the rule a path broke, in the message and as the issue of the `path` field', () => {
    const cases: Array<[unknown, string]> = [
      ['', 'the path is empty'],
      [42, 'is not a string'],
      [undefined, 'is not a string'],
      ['a'.repeat(MAX_PATH_LENGTH + 1), `longer than ${MAX_PATH_LENGTH} characters`],
      ['nul\u0000.txt', 'contains a NUL or control character'],
      ['tab\u001f.txt', 'contains a NUL or control character'],
      ['del\u007f.txt', 'contains a NUL or control character'],
      ['a\\b.txt', 'contains a backslash; use /'],
      ['/etc/passwd', 'is absolute; paths are relative to the project root'],
      ['C:/Windows/system.ini', 'is absolute; paths are relative to the project root'],
      ['z:x', 'is absolute; paths are relative to the project root'],
      ['src/../package.json', 'contains a .. segment'],
      ['..', 'contains a .. segment'],
      ['.', 'names no file'],
      ['./', 'names no file'],
      ['.//.', 'names no file'],
    ];
    for (const [path, reason] of cases) {
      const { message, issues } = refusal(path);
      expect(issues, String(path)).toEqual([{ path: ['path'], message: reason }]);
      expect(message).toBe(`Invalid file path ${typeof path === 'string' ? JSON.stringify(path.slice(0, 200)) : `of type ${typeof path}`}: ${reason}`);
    }
  });

  it('accepts a path of exactly the longest length, and quotes at most 200 characters of a refused one', () => {
    const longest = `${'a'.repeat(MAX_PATH_LENGTH - 4)}.txt`;
    expect(normalizeFilePath(longest)).toBe(longest);
    const { message } = refusal(`${longest}x`);
    expect(message).toBe(`Invalid file path "${'a'.repeat(200)}": longer than 1024 characters`);
    expect(MAX_PATH_LENGTH).toBe(1024);
  });
});

describe('isValidFilePath', () => {
  it('is true exactly when normalizeFilePath accepts the path', () => {
    expect(isValidFilePath('src/app.tsx')).toBe(true);
    expect(isValidFilePath('./a')).toBe(true);
    for (const path of ['', '../x', '/abs', 'a\\b', '.']) expect(isValidFilePath(path), path).toBe(false);
  });
});
