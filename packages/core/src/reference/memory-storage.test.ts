import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors/not-found-error.js';
import { decodeText, encodeText } from '../files/content.js';
import type { StorageProject } from '../plugins/storage-backend.js';
import { storageBackendConformance } from '../testing/storage-backend-conformance.js';
import { createMemoryStorage } from './memory-storage.js';

storageBackendConformance({ name: 'memory', create: async () => ({ backend: createMemoryStorage() }) });
storageBackendConformance({ name: 'memory with a 1 KiB limit', create: async () => ({ backend: createMemoryStorage({ name: 'tiny', maxFileBytes: 1024 }) }) });

const project = (id: string): StorageProject => ({ id, organizationId: 'org', name: id, settings: {} });
const author = { name: 'Test', email: 'test@example.com' };
const write = (path: string, content: string) => ({ type: 'write' as const, path, content: encodeText(content) });

describe('createMemoryStorage', () => {
  it('isolates projects: a ref from one project is not found in another', async () => {
    const storage = createMemoryStorage();
    const { ref } = await storage.saveVersion({ project: project('a'), parentRef: null, changes: [write('x.txt', 'x')], message: 'm', author });
    await expect(storage.getFiles({ project: project('b'), ref })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.listFiles({ project: project('b'), ref })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(storage.saveVersion({ project: project('b'), parentRef: ref, changes: [], message: 'm', author })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await storage.listFiles({ project: project('a'), ref })).map((entry) => entry.path)).toEqual(['x.txt']);
  });

  it('stores paths in normal form and deduplicates content', async () => {
    const storage = createMemoryStorage();
    const { ref } = await storage.saveVersion({ project: project('a'), parentRef: null, changes: [write('./src//a.txt', 'same'), write('b.txt', 'same')], message: 'm', author });
    const listing = await storage.listFiles({ project: project('a'), ref });
    expect(listing.map((entry) => entry.path)).toEqual(['b.txt', 'src/a.txt']);
    expect(decodeText((await storage.getFile({ project: project('a'), ref, path: 'src/a.txt' }))?.content ?? new Uint8Array())).toBe('same');
    const collected = await storage.collectGarbage?.({ liveRefs: new Set([ref]), startedBefore: new Date(Date.now() + 1000) });
    expect(collected).toEqual({ removedObjects: 0, freedBytes: 0 });
  });

  it('collects unreferenced versions and content, keeping what live refs reach', async () => {
    let clock = 1_000;
    const storage = createMemoryStorage({ now: () => new Date(clock) });
    const p = project('a');
    const v1 = await storage.saveVersion({ project: p, parentRef: null, changes: [write('keep.txt', 'keep'), write('drop.txt', 'dropped!')], message: 'v1', author });
    const v2 = await storage.saveVersion({ project: p, parentRef: v1.ref, changes: [{ type: 'delete', path: 'drop.txt' }], message: 'v2', author });
    clock = 5_000;
    const late = await storage.saveVersion({ project: p, parentRef: null, changes: [write('late.txt', 'late')], message: 'late', author });
    const result = await storage.collectGarbage?.({ liveRefs: new Set([v2.ref]), startedBefore: new Date(2_000) });
    // v1's tree and the 8-byte drop.txt blob go; v2, the late save and their blobs stay.
    expect(result).toEqual({ removedObjects: 2, freedBytes: 8 });
    await expect(storage.listFiles({ project: p, ref: v1.ref })).rejects.toBeInstanceOf(NotFoundError);
    expect((await storage.getFiles({ project: p, ref: v2.ref })).map((file) => file.path)).toEqual(['keep.txt']);
    expect((await storage.getFiles({ project: p, ref: late.ref })).map((file) => file.path)).toEqual(['late.txt']);
  });

  it('saves nothing when one change is invalid', async () => {
    const storage = createMemoryStorage({ maxFileBytes: 4 });
    const p = project('a');
    await expect(storage.saveVersion({ project: p, parentRef: null, changes: [write('a.txt', 'ok'), write('b.txt', 'too long')], message: 'm', author })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'file_size',
    });
    expect(await storage.collectGarbage?.({ liveRefs: new Set(), startedBefore: new Date(Date.now() + 1000) })).toEqual({ removedObjects: 0, freedBytes: 0 });
  });

  it('rejects invalid options', () => {
    expect(() => createMemoryStorage({ maxFileBytes: -1 })).toThrow(/maxFileBytes/);
    expect(() => createMemoryStorage({ name: 'Bad Name' })).toThrow(/kebab-case/);
  });
});
