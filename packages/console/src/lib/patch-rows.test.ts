import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { sideBySideRows, unifiedRows } from './patch-rows.js';

const patch = createTwoFilesPatch('a/notes.md', 'b/notes.md', 'one\ntwo\nthree\nfour\n', 'one\n2\nthree\nfour\nfive\n');

describe('unifiedRows', () => {
  it('numbers each side and marks added and deleted lines', () => {
    expect(unifiedRows(patch)).toEqual([
      { kind: 'hunk', text: '@@ -1,4 +1,5 @@' },
      { kind: 'context', oldNumber: 1, newNumber: 1, text: 'one' },
      { kind: 'delete', oldNumber: 2, text: 'two' },
      { kind: 'add', newNumber: 2, text: '2' },
      { kind: 'context', oldNumber: 3, newNumber: 3, text: 'three' },
      { kind: 'context', oldNumber: 4, newNumber: 4, text: 'four' },
      { kind: 'add', newNumber: 5, text: 'five' },
    ]);
  });

  it('reads a new file (no old side) and an empty patch', () => {
    const added = createTwoFilesPatch('/dev/null', 'b/x', '', 'a\nb\n');
    expect(unifiedRows(added).filter((row) => row.kind === 'add').map((row) => row.newNumber)).toEqual([1, 2]);
    expect(unifiedRows('')).toEqual([]);
  });
});

describe('sideBySideRows', () => {
  it('pairs a deleted run with the added run after it, and leaves blanks opposite the longer one', () => {
    const rows = sideBySideRows(patch);
    expect(rows[0]).toEqual({ kind: 'hunk', left: null, right: null, text: '@@ -1,4 +1,5 @@' });
    expect(rows[2]).toEqual({ kind: 'line', left: { number: 2, text: 'two', kind: 'delete' }, right: { number: 2, text: '2', kind: 'add' } });
    expect(rows.at(-1)).toEqual({ kind: 'line', left: null, right: { number: 5, text: 'five', kind: 'add' } });
    expect(rows).toHaveLength(6);
  });
});
