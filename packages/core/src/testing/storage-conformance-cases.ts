import { expect } from 'vitest';
import { VectorError } from '../errors/vector-error.js';
import { decodeText, encodeText } from '../files/content.js';
import type { StorageBackend, StorageProject } from '../plugins/storage-backend.js';
import { fileDiffSchema, fileEntrySchema, type FileChange, type SourceFile } from '../schemas/source-file.js';
import type { ConformanceCase } from './conformance-suite.js';

/** What each storage test receives. */
export interface StorageSubject {
  backend: StorageBackend;
  project: StorageProject;
}

const author = { name: 'Conformance Kit', email: 'conformance@vector.invalid' };
const largestTestedFile = 64 * 1024 * 1024;

const write = (path: string, content: string | Uint8Array): FileChange => ({ type: 'write', path, content: typeof content === 'string' ? encodeText(content) : content });
const remove = (path: string): FileChange => ({ type: 'delete', path });

async function save(subject: StorageSubject, parentRef: string | null, changes: FileChange[], message = 'conformance save'): Promise<string> {
  const { ref, fileCount } = await subject.backend.saveVersion({ project: subject.project, parentRef, changes, message, author });
  expect(typeof ref).toBe('string');
  expect(ref.length).toBeGreaterThan(0);
  // The engine records a fileCount a backend returns as is: it must be the saved version's.
  if (fileCount !== undefined) expect(fileCount, 'fileCount returned by saveVersion').toBe((await subject.backend.listFiles({ project: subject.project, ref })).length);
  return ref;
}

/** Every file at `ref` as `{ path: text }`, with keys in the order the backend returned them sorted. */
async function textsAt(subject: StorageSubject, ref: string): Promise<Record<string, string>> {
  const files = await subject.backend.getFiles({ project: subject.project, ref });
  return Object.fromEntries(sortByPath(files).map((file) => [file.path, decodeText(file.content)]));
}

function sortByPath<T extends { path: string }>(items: ReadonlyArray<T>): T[] {
  return [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function expectSortedByPath(items: ReadonlyArray<{ path: string }>): void {
  expect(items.map((item) => item.path)).toEqual(sortByPath(items).map((item) => item.path));
}

async function expectVectorError(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, `${what} should be rejected`).not.toBeNull();
  expect(VectorError.isInstance(error), `${what} should throw a VectorError, got ${String(error)}`).toBe(true);
  expect((error as VectorError).code, `${what}: ${String(error)}`).toBe(code);
}

function binaryFixture(): Uint8Array {
  const bytes = new Uint8Array(512);
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = (index * 31 + 7) % 256;
  return bytes;
}

/** The storage conformance tests, in the order they are declared. */
export const storageConformanceCases: ReadonlyArray<ConformanceCase<StorageSubject>> = [
  {
    name: 'saves and reads back text files',
    async run(subject) {
      const files = { 'README.md': '# Hello\n', 'src/index.ts': 'export const greeting = "héllo ✓";\n', 'empty.txt': '' };
      const ref = await save(subject, null, Object.entries(files).map(([path, content]) => write(path, content)));
      expect(await textsAt(subject, ref)).toEqual(files);
      const single = await subject.backend.getFile({ project: subject.project, ref, path: 'src/index.ts' });
      expect(single?.path).toBe('src/index.ts');
      expect(decodeText(single?.content ?? new Uint8Array())).toBe(files['src/index.ts']);
    },
  },
  {
    name: 'saves and reads back binary files byte for byte',
    requires: ({ backend }) => (backend.capabilities.binary ? null : 'the backend does not declare binary'),
    async run(subject) {
      const image = binaryFixture();
      const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0x80, 0x41, 0xc3]);
      const ref = await save(subject, null, [write('assets/image.bin', image), write('assets/latin1.txt', invalidUtf8), write('index.html', '<h1>x</h1>')]);
      const read = await subject.backend.getFile({ project: subject.project, ref, path: 'assets/image.bin' });
      expect(Buffer.from(read?.content ?? []).equals(Buffer.from(image))).toBe(true);
      const all = sortByPath(await subject.backend.getFiles({ project: subject.project, ref }));
      expect(all.map((file) => file.path)).toEqual(['assets/image.bin', 'assets/latin1.txt', 'index.html']);
      expect(Buffer.from(all[1]?.content ?? []).equals(Buffer.from(invalidUtf8))).toBe(true);
      const listing = await subject.backend.listFiles({ project: subject.project, ref });
      expect(listing.map((entry) => entry.size)).toEqual([image.byteLength, invalidUtf8.byteLength, 10]);
    },
  },
  {
    name: 'builds a linear chain of versions with writes and deletes',
    async run(subject) {
      const v1 = await save(subject, null, [write('a.txt', 'a1'), write('b.txt', 'b1'), write('dir/c.txt', 'c1')], 'v1');
      const v2 = await save(subject, v1, [write('a.txt', 'a2'), remove('b.txt'), write('d.txt', 'd2')], 'v2');
      const v3 = await save(subject, v2, [remove('dir/c.txt'), write('b.txt', 'b3'), write('a.txt', 'a3')], 'v3');
      expect(new Set([v1, v2, v3]).size).toBe(3);
      expect(await textsAt(subject, v1)).toEqual({ 'a.txt': 'a1', 'b.txt': 'b1', 'dir/c.txt': 'c1' });
      expect(await textsAt(subject, v2)).toEqual({ 'a.txt': 'a2', 'd.txt': 'd2', 'dir/c.txt': 'c1' });
      expect(await textsAt(subject, v3)).toEqual({ 'a.txt': 'a3', 'b.txt': 'b3', 'd.txt': 'd2' });
    },
  },
  {
    name: 'keeps old refs immutable after newer saves',
    async run(subject) {
      const buffer = encodeText('original');
      const v1 = await save(subject, null, [write('file.txt', buffer), write('other.txt', 'other')]);
      buffer.fill(0x58); // the caller reusing its buffer must not change what was saved
      const v2 = await save(subject, v1, [write('file.txt', 'changed'), remove('other.txt')]);
      await save(subject, v2, [write('file.txt', 'changed again'), write('third.txt', '3')]);
      const read = await subject.backend.getFile({ project: subject.project, ref: v1, path: 'file.txt' });
      read?.content.fill(0x59); // nor may a reader mutating what it got back
      expect(await textsAt(subject, v1)).toEqual({ 'file.txt': 'original', 'other.txt': 'other' });
      expect(await textsAt(subject, v2)).toEqual({ 'file.txt': 'changed' });
    },
  },
  {
    name: 'reads a subset of files with paths',
    async run(subject) {
      const ref = await save(subject, null, [write('a.txt', 'a'), write('b.txt', 'b'), write('dir/c.txt', 'c'), write('dir/d.txt', 'd')]);
      const subset = await subject.backend.getFiles({ project: subject.project, ref, paths: ['dir/c.txt', 'missing.txt', 'b.txt'] });
      expect(sortByPath(subset).map((file) => [file.path, decodeText(file.content)])).toEqual([['b.txt', 'b'], ['dir/c.txt', 'c']]);
      expect(await subject.backend.getFiles({ project: subject.project, ref, paths: [] })).toEqual([]);
    },
  },
  {
    name: 'returns null from getFile for a missing path',
    async run(subject) {
      const ref = await save(subject, null, [write('present.txt', 'here'), write('dir/inner.txt', 'inner')]);
      expect(await subject.backend.getFile({ project: subject.project, ref, path: 'absent.txt' })).toBeNull();
      expect(await subject.backend.getFile({ project: subject.project, ref, path: 'dir/absent.txt' })).toBeNull();
      // A directory is not a file.
      expect(await subject.backend.getFile({ project: subject.project, ref, path: 'dir' })).toBeNull();
    },
  },
  {
    name: 'lists files sorted with sizes and hashes',
    async run(subject) {
      const ref = await save(subject, null, [write('z.txt', 'hello'), write('c/d.txt', 'other'), write('a.txt', 'hello'), write('c.txt', 'héllo')]);
      const listing = await subject.backend.listFiles({ project: subject.project, ref });
      for (const entry of listing) fileEntrySchema.parse(entry);
      expect(listing.map((entry) => entry.path)).toEqual(['a.txt', 'c.txt', 'c/d.txt', 'z.txt']);
      expect(listing.map((entry) => entry.size)).toEqual([5, 6, 5, 5]);
      const hash = Object.fromEntries(listing.map((entry) => [entry.path, entry.hash]));
      expect(hash['a.txt']).toBeTruthy();
      expect(hash['a.txt'], 'same content, same hash').toBe(hash['z.txt']);
      expect(hash['a.txt'], 'different content, different hash').not.toBe(hash['c/d.txt']);
      const next = await save(subject, ref, [write('z.txt', 'changed')]);
      const relisted = await subject.backend.listFiles({ project: subject.project, ref: next });
      expect(relisted.find((entry) => entry.path === 'a.txt')?.hash, 'unchanged file keeps its hash').toBe(hash['a.txt']);
      expect(relisted.find((entry) => entry.path === 'z.txt')?.hash).not.toBe(hash['z.txt']);
    },
  },
  {
    name: 'diffs added, modified, deleted and renamed files',
    async run(subject) {
      const v1 = await save(subject, null, [
        write('keep.txt', 'same\n'),
        write('modify.txt', 'line1\nline2\nline3\n'),
        write('delete.txt', 'bye\n'),
        write('rename-me.txt', 'content unique to the renamed file\n'),
      ]);
      const v2 = await save(subject, v1, [
        write('modify.txt', 'line1\nline2 changed\nline3\n'),
        write('added.txt', 'new\n'),
        remove('delete.txt'),
        remove('rename-me.txt'),
        write('renamed.txt', 'content unique to the renamed file\n'),
      ]);
      const diff = await subject.backend.diffVersions({ project: subject.project, fromRef: v1, toRef: v2 });
      for (const entry of diff) fileDiffSchema.parse(entry);
      expect(diff.map((entry) => [entry.path, entry.status])).toEqual([
        ['added.txt', 'added'],
        ['delete.txt', 'deleted'],
        ['modify.txt', 'modified'],
        ['renamed.txt', 'renamed'],
      ]);
      const [added, deleted, modified, renamed] = diff;
      expect(added).toMatchObject({ binary: false, additions: 1, deletions: 0 });
      expect(added?.patch).toContain('+new');
      expect(deleted).toMatchObject({ binary: false, additions: 0, deletions: 1 });
      expect(deleted?.patch).toContain('-bye');
      expect(modified).toMatchObject({ binary: false, additions: 1, deletions: 1 });
      expect(modified?.patch).toContain('-line2');
      expect(modified?.patch).toContain('+line2 changed');
      expect(modified?.patch).toContain('@@');
      expect(renamed).toMatchObject({ previousPath: 'rename-me.txt', binary: false });
      expect(await subject.backend.diffVersions({ project: subject.project, fromRef: v2, toRef: v2 })).toEqual([]);
    },
  },
  {
    name: 'diffs binary files with a binary marker',
    requires: ({ backend }) => (backend.capabilities.binary ? null : 'the backend does not declare binary'),
    async run(subject) {
      const before = binaryFixture();
      const after = binaryFixture();
      after[10] = (after[10] ?? 0) ^ 0xff;
      const v1 = await save(subject, null, [write('image.bin', before)]);
      const v2 = await save(subject, v1, [write('image.bin', after), write('added.bin', new Uint8Array([0, 1, 2, 3]))]);
      const diff = await subject.backend.diffVersions({ project: subject.project, fromRef: v1, toRef: v2 });
      for (const entry of diff) fileDiffSchema.parse(entry);
      expect(diff.map((entry) => [entry.path, entry.status, entry.binary])).toEqual([
        ['added.bin', 'added', true],
        ['image.bin', 'modified', true],
      ]);
      for (const entry of diff) expect(entry.patch ?? '', 'binary files get no textual patch').not.toContain('@@');
    },
  },
  {
    name: 'diffs from null as all files added',
    async run(subject) {
      const ref = await save(subject, null, [write('b.txt', 'two\nlines\n'), write('a.txt', 'one\n')]);
      const diff = await subject.backend.diffVersions({ project: subject.project, fromRef: null, toRef: ref });
      for (const entry of diff) fileDiffSchema.parse(entry);
      expect(diff.map((entry) => [entry.path, entry.status, entry.additions, entry.deletions])).toEqual([
        ['a.txt', 'added', 1, 0],
        ['b.txt', 'added', 2, 0],
      ]);
      expect(diff[1]?.patch).toContain('+lines');
    },
  },
  {
    name: 'keeps the parent files when a save changes nothing',
    async run(subject) {
      // The engine refuses such writes, but a backend must still store them faithfully.
      const v1 = await save(subject, null, [write('a.txt', 'a'), write('dir/b.txt', 'b')]);
      const same = await save(subject, v1, [], 'no changes');
      expect(await textsAt(subject, same)).toEqual({ 'a.txt': 'a', 'dir/b.txt': 'b' });
      const missing = await save(subject, v1, [remove('absent.txt'), remove('dir/absent.txt'), remove('a.txt/below-a-file.txt')], 'deletes of missing paths');
      expect(await textsAt(subject, missing)).toEqual({ 'a.txt': 'a', 'dir/b.txt': 'b' });
      expect(await subject.backend.diffVersions({ project: subject.project, fromRef: v1, toRef: missing })).toEqual([]);
    },
  },
  {
    name: 'turns a directory into a file and a file into a directory in one save, in any order',
    async run(subject) {
      const v1 = await save(subject, null, [write('docs/guide.md', 'guide'), write('docs/deep/notes.md', 'notes'), write('notes', 'a file'), write('keep.txt', 'kept')]);
      const orders: Array<[string, FileChange[]]> = [
        ['deletes first', [remove('docs/guide.md'), remove('docs/deep/notes.md'), write('docs', 'now a file'), remove('notes'), write('notes/today.md', 'now a directory')]],
        ['writes first', [write('docs', 'now a file'), write('notes/today.md', 'now a directory'), remove('docs/guide.md'), remove('notes'), remove('docs/deep/notes.md')]],
      ];
      for (const [order, changes] of orders) {
        const ref = await save(subject, v1, changes, order);
        expect(await textsAt(subject, ref), order).toEqual({ docs: 'now a file', 'keep.txt': 'kept', 'notes/today.md': 'now a directory' });
        const diff = await subject.backend.diffVersions({ project: subject.project, fromRef: v1, toRef: ref });
        expect(new Set(diff.map((entry) => `${entry.status} ${entry.path}`)), order).toEqual(new Set(['added docs', 'deleted docs/guide.md', 'deleted docs/deep/notes.md', 'deleted notes', 'added notes/today.md']));
        // And back again on top of the swapped version.
        const back = await save(subject, ref, [write('docs/guide.md', 'guide again'), write('notes', 'a file again'), remove('notes/today.md'), remove('docs')], `${order}, back`);
        expect(await textsAt(subject, back), `${order}, back`).toEqual({ 'docs/guide.md': 'guide again', 'keep.txt': 'kept', notes: 'a file again' });
      }
    },
  },
  {
    name: 'rejects a save whose files would hold a path as a file and as a directory',
    async run(subject) {
      const v1 = await save(subject, null, [write('docs/guide.md', 'guide'), write('docs/faq.md', 'faq'), write('notes', 'a file')]);
      const attempts: Array<[string, string | null, FileChange[], [string, string]]> = [
        ['a file written over a directory that keeps its files', v1, [write('docs', 'file')], ['docs', 'docs/']],
        ['a directory emptied only in part', v1, [remove('docs/guide.md'), write('docs', 'file')], ['docs', 'docs/faq.md']],
        ['a file below a file that stays', v1, [write('notes/today.md', 'below a file')], ['notes', 'notes/today.md']],
        ['a file deleted and written again below a file', v1, [remove('notes'), write('notes/today.md', 'x'), write('notes', 'back')], ['notes', 'notes/today.md']],
        ['both written in a first save', null, [write('a', 'file'), write('a/b.txt', 'below it')], ['a', 'a/b.txt']],
      ];
      for (const [what, parentRef, changes, [file, nested]] of attempts) {
        const attempt = subject.backend.saveVersion({ project: subject.project, parentRef, changes, message: what, author });
        const error = await attempt.then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(VectorError.isInstance(error), `${what} should throw a VectorError, got ${String(error)}`).toBe(true);
        expect((error as VectorError).code, `${what}: ${String(error)}`).toBe('VALIDATION_FAILED');
        // The message names both sides: the file and (a file in) the directory.
        expect((error as VectorError).message, what).toContain(file);
        expect((error as VectorError).message, what).toContain(nested);
      }
      expect(await textsAt(subject, v1)).toEqual({ 'docs/faq.md': 'faq', 'docs/guide.md': 'guide', notes: 'a file' });
    },
  },
  {
    name: 'rejects invalid paths with ValidationError',
    async run(subject) {
      for (const path of ['../x', '/abs', 'a/../../b', 'a\u0000b', 'a\\b', '']) {
        await expectVectorError(
          subject.backend.saveVersion({ project: subject.project, parentRef: null, changes: [write('ok.txt', 'ok'), write(path, 'bad')], message: 'bad path', author }),
          'VALIDATION_FAILED',
          `writing ${JSON.stringify(path)}`,
        );
      }
      const ref = await save(subject, null, [write('ok.txt', 'ok')]);
      await expectVectorError(
        subject.backend.saveVersion({ project: subject.project, parentRef: ref, changes: [remove('../ok.txt')], message: 'bad delete', author }),
        'VALIDATION_FAILED',
        'deleting "../ok.txt"',
      );
      expect(await textsAt(subject, ref)).toEqual({ 'ok.txt': 'ok' });
    },
  },
  {
    name: 'rejects content over maxFileBytes with LimitExceededError',
    requires: ({ backend }) =>
      backend.capabilities.maxFileBytes <= largestTestedFile ? null : `maxFileBytes ${backend.capabilities.maxFileBytes} is too large to test`,
    async run(subject) {
      const oversize = new Uint8Array(subject.backend.capabilities.maxFileBytes + 1).fill(0x61);
      await expectVectorError(
        subject.backend.saveVersion({ project: subject.project, parentRef: null, changes: [write('small.txt', 'ok'), write('big.txt', oversize)], message: 'too big', author }),
        'LIMIT_EXCEEDED',
        'a file of maxFileBytes + 1',
      );
    },
  },
  {
    name: 'stores a few hundred files in one version',
    async run(subject) {
      const changes = Array.from({ length: 300 }, (_, index) => write(`src/module-${index % 12}/file-${index}.ts`, `export const value${index} = ${index};\n`));
      const v1 = await save(subject, null, changes);
      const listing = await subject.backend.listFiles({ project: subject.project, ref: v1 });
      expect(listing).toHaveLength(300);
      expectSortedByPath(listing);
      const files: SourceFile[] = await subject.backend.getFiles({ project: subject.project, ref: v1 });
      expect(files).toHaveLength(300);
      const byPath = new Map(files.map((file) => [file.path, decodeText(file.content)]));
      expect(byPath.get('src/module-7/file-151.ts')).toBe('export const value151 = 151;\n');
      const v2 = await save(subject, v1, [write('src/module-0/file-0.ts', 'export const value0 = -1;\n')]);
      const diff = await subject.backend.diffVersions({ project: subject.project, fromRef: v1, toRef: v2 });
      expect(diff.map((entry) => [entry.path, entry.status])).toEqual([['src/module-0/file-0.ts', 'modified']]);
    },
  },
  {
    name: 'handles unicode paths',
    async run(subject) {
      const files = { 'docs/héllo wörld.md': 'accents', 'src/日本語/ファイル.ts': 'cjk', 'emoji/🚀.txt': 'rocket', 'space name.txt': 'spaces' };
      const v1 = await save(subject, null, Object.entries(files).map(([path, content]) => write(path, content)));
      expect(await textsAt(subject, v1)).toEqual(files);
      for (const [path, content] of Object.entries(files)) {
        const file = await subject.backend.getFile({ project: subject.project, ref: v1, path });
        expect(file && decodeText(file.content), path).toBe(content);
      }
      const listing = await subject.backend.listFiles({ project: subject.project, ref: v1 });
      expect(new Set(listing.map((entry) => entry.path))).toEqual(new Set(Object.keys(files)));
      const v2 = await save(subject, v1, [remove('emoji/🚀.txt'), write('emoji/✨.txt', 'sparkles')]);
      const diff = await subject.backend.diffVersions({ project: subject.project, fromRef: v1, toRef: v2 });
      expect(new Set(diff.map((entry) => `${entry.status} ${entry.path}`))).toEqual(new Set(['added emoji/✨.txt', 'deleted emoji/🚀.txt']));
    },
  },
  {
    name: 'keeps live refs readable after garbage collection',
    requires: ({ backend }) => (backend.capabilities.garbageCollection ? null : 'the backend does not declare garbageCollection'),
    async run(subject) {
      const collect = subject.backend.collectGarbage?.bind(subject.backend);
      if (!collect) throw new Error('unreachable: collectGarbage is required by this test');
      const v1 = await save(subject, null, [write('shared.txt', 'shared'), write('old.txt', 'only in v1')]);
      const v2 = await save(subject, v1, [remove('old.txt'), write('new.txt', 'only in v2')]);
      await save(subject, null, [write('orphan.txt', `never referenced ${Math.random()}`)]);
      const result = await collect({ liveRefs: new Set([v2]), startedBefore: new Date(Date.now() + 60_000) });
      expect(Number.isInteger(result.removedObjects) && result.removedObjects >= 0).toBe(true);
      expect(Number.isInteger(result.freedBytes) && result.freedBytes >= 0).toBe(true);
      expect(await textsAt(subject, v2)).toEqual({ 'new.txt': 'only in v2', 'shared.txt': 'shared' });
      expect((await subject.backend.listFiles({ project: subject.project, ref: v2 })).map((entry) => entry.path)).toEqual(['new.txt', 'shared.txt']);
      const v3 = await save(subject, v2, [write('after-gc.txt', 'still writable')]);
      expect(Object.keys(await textsAt(subject, v3))).toEqual(['after-gc.txt', 'new.txt', 'shared.txt']);
    },
  },
  {
    name: 'keeps refs saved after startedBefore during garbage collection',
    requires: ({ backend }) => (backend.capabilities.garbageCollection ? null : 'the backend does not declare garbageCollection'),
    async run(subject) {
      const collect = subject.backend.collectGarbage?.bind(subject.backend);
      if (!collect) throw new Error('unreachable: collectGarbage is required by this test');
      // Two seconds of slack so backends with second-precision timestamps are not penalised.
      const startedBefore = new Date(Date.now() - 2_000);
      const recent = await save(subject, null, [write('recent.txt', `saved during collection ${Math.random()}`)]);
      await collect({ liveRefs: new Set(), startedBefore });
      expect(Object.keys(await textsAt(subject, recent))).toEqual(['recent.txt']);
    },
  },
];
