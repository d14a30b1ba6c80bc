import { CancelledError } from '@vector/core';
import { createAgentTestContext } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { runCodegenTool } from '../src/codegen-tools.js';
import { defaultSearchLimits, searchProjectFiles } from '../src/search-project-files.js';
import { WorkingCopy } from '../src/working-copy.js';

const contextOf = (files: Record<string, string>) => createAgentTestContext({ message: 'x', files: Object.entries(files).map(([path, content]) => ({ path, content })) });
const copyOf = (files: Record<string, string>) => new WorkingCopy(contextOf(files).files);
const search = (copy: WorkingCopy, query: string, regex = false) => runCodegenTool({ name: 'search_files', arguments: JSON.stringify({ query, regex }), copy, mode: 'answer', limits: { maxOutputChars: 48_000 } });

describe('search_files cannot freeze the worker', () => {
  it('stops a catastrophically backtracking regular expression at the time budget', async () => {
    // (a+)+$ on 40 a's and a ! takes 2^40 steps without the vm timeout.
    const copy = copyOf({ 'src/a.ts': `${'a'.repeat(40)}!`, 'src/b.ts': 'aaa' });
    const found = await searchProjectFiles({ copy, query: '(a+)+$', regex: true, limits: { ...defaultSearchLimits, maxMillis: 50 } });
    expect(found).toEqual({ ok: true, hits: [], stoppedEarly: expect.stringContaining('in src/a.ts; simplify the regular expression') });
  });

  it('returns from search_files with a note when the regular expression runs out of time', async () => {
    const copy = copyOf({ 'src/a.ts': `${'a'.repeat(40)}!` });
    const outcome = await runCodegenTool({ name: 'search_files', arguments: JSON.stringify({ query: '(a+)+$', regex: true }), copy, mode: 'answer', limits: { maxOutputChars: 1_000, search: { maxMillis: 50 } } });
    expect(outcome).toMatchObject({ ok: true, output: 'No matches.\n… (search stopped after 50 ms (in src/a.ts; simplify the regular expression); narrow the directory or the query)' });
  });

  it('tests only the first 2 000 characters of a line', async () => {
    const copy = copyOf({ 'dist/app.min.js': `${'x'.repeat(500_000)}needle${'x'.repeat(10)}`, 'src/a.ts': 'const needle = 1;' });
    const outcome = await search(copy, 'needle');
    expect(outcome.output).toBe('src/a.ts:1: const needle = 1;');
    const near = await search(copyOf({ 'a.js': `${'x'.repeat(1_990)}needle` }), 'NEEDLE');
    expect(near.output).toBe(`a.js:1: ${'x'.repeat(200)}`);
  });

  it('refuses patterns longer than 200 characters and invalid regular expressions', async () => {
    const copy = copyOf({ 'a.ts': 'x' });
    const long = await search(copy, 'a'.repeat(201), true);
    expect(long).toMatchObject({ ok: false, output: 'Error: The query is 201 characters long; the limit is 200. Search for a shorter, distinctive part.' });
    expect(await search(copy, '(unclosed', true)).toMatchObject({ ok: false, output: expect.stringContaining('Invalid regular expression') });
  });

  it('bounds the number of files and lines it reads, and says so', async () => {
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`src/f${String(index).padStart(2, '0')}.ts`, 'match\n'.repeat(10)]));
    const byFiles = await searchProjectFiles({ copy: copyOf(files), query: 'match', regex: false, limits: { ...defaultSearchLimits, maxFiles: 5 } });
    expect(byFiles).toMatchObject({ ok: true, stoppedEarly: 'after 5 files' });
    expect(byFiles.ok && byFiles.hits).toHaveLength(5 * 10);
    const byLines = await searchProjectFiles({ copy: copyOf(files), query: 'match', regex: true, limits: { ...defaultSearchLimits, maxLines: 25 } });
    expect(byLines).toMatchObject({ ok: true, stoppedEarly: 'after 25 lines' });
    // Each file is 11 lines (the last empty): 11 + 11 + the first 3 of the third.
    expect(byLines.ok && byLines.hits).toHaveLength(23);
    const outcome = await search(copyOf({ ...files, 'src/z.ts': 'match' }), 'match');
    expect(outcome.output).toMatch(/\n… \(search stopped at 200 matches; narrow the directory or the query\)$/);
  });

  it('checks the job signal between files', async () => {
    const context = contextOf(Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`f${index}.ts`, 'x'])));
    const controller = new AbortController();
    let reads = 0;
    const copy = new WorkingCopy({
      ...context.files,
      read: async (path) => {
        reads += 1;
        if (reads === 3) controller.abort(new Error('stop'));
        return context.files.read(path);
      },
    });
    await expect(runCodegenTool({ name: 'search_files', arguments: '{"query":"x"}', copy, mode: 'answer', limits: { maxOutputChars: 1_000 }, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(reads).toBe(3);
  });
});
