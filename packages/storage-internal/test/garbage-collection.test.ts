import { decodeText, sha256Hex, type VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInternalStorage, type InternalStorage } from '../src/index.js';
import { author, countRows, newProject, write } from './storage-helpers.js';

describeEachDatabase('internal storage garbage collection', (database) => {
  let connection: VectorDatabaseConnection;
  let clock = 0;
  let storage: InternalStorage;
  const at = (ms: number) => new Date(ms);
  beforeAll(async () => {
    connection = await database.create();
    storage = createInternalStorage({ database: connection, now: () => at(clock) });
    await storage.init();
  });
  afterAll(async () => {
    await connection.destroy();
  });

  it('removes what no live ref reaches and nothing a live ref needs', async () => {
    const project = newProject();
    clock = 1_000;
    const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [write('shared.txt', 'shared'), write('old/only-v1.txt', 'only in v1')], message: 'v1', author });
    const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes: [{ type: 'delete', path: 'old/only-v1.txt' }, write('new.txt', 'only in v2')], message: 'v2', author });
    await storage.saveVersion({ project, parentRef: null, changes: [write('orphan.txt', 'abandoned')], message: 'orphan', author });
    const before = await countRows(connection, project.id);
    // Other tests' leftovers share the database; collect them first so the counts are exact.
    await storage.collectGarbage({ liveRefs: new Set([v1, v2]), startedBefore: at(1_000) });

    const result = await storage.collectGarbage({ liveRefs: new Set([v2]), startedBefore: at(5_000) });
    // Gone: versions v1 and orphan; blobs only-v1 and orphan; trees: v1 root, old/, orphan root.
    expect(result.removedObjects).toBe(2 + 2 + 3);
    const after = await countRows(connection, project.id);
    expect(after.versions).toBe(1);
    expect(after.objects).toBe(before.objects - 5);
    expect(result.freedBytes).toBe(before.storedBytes - after.storedBytes);
    expect((await storage.getFiles({ project, ref: v2 })).map((file) => [file.path, decodeText(file.content)])).toEqual([
      ['new.txt', 'only in v2'],
      ['shared.txt', 'shared'],
    ]);
    await expect(storage.listFiles({ project, ref: v1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Nothing left to collect.
    expect(await storage.collectGarbage({ liveRefs: new Set([v2]), startedBefore: at(5_000) })).toEqual({ removedObjects: 0, freedBytes: 0 });
  });

  it('keeps versions and objects written or re-written at or after startedBefore', async () => {
    const project = newProject();
    clock = 10_000;
    const { ref: old } = await storage.saveVersion({ project, parentRef: null, changes: [write('reused.txt', 'written long ago'), write('stale.txt', 'stale')], message: 'old', author });
    clock = 30_000;
    // A new save re-writes an old blob: the existing row is touched, not duplicated.
    const { ref: recent } = await storage.saveVersion({ project, parentRef: null, changes: [write('again.txt', 'written long ago')], message: 'recent', author });
    expect(await countRows(connection, project.id)).toMatchObject({ objects: 4, versions: 2 });
    await storage.collectGarbage({ liveRefs: new Set(), startedBefore: at(20_000) });
    // Left: the recent version, its root tree and the touched blob (stale.txt and the old root are gone).
    expect(await countRows(connection, project.id)).toMatchObject({ objects: 2, versions: 1 });
    expect((await storage.getFiles({ project, ref: recent })).map((file) => decodeText(file.content))).toEqual(['written long ago']);
    await expect(storage.getFiles({ project, ref: old })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const reused = await connection.db.selectFrom('vector_storage_objects').select('hash').where('project_id', '=', project.id).where('hash', '=', sha256Hex('written long ago')).execute();
    expect(reused).toHaveLength(1);
  });

  it('marks a subtree through a file that holds exactly the same bytes', async () => {
    const project = newProject();
    clock = 40_000;
    const { ref: first } = await storage.saveVersion({ project, parentRef: null, changes: [write('dir/inner.txt', 'inner')], message: 'v1', author });
    // A file whose content is the serialised `dir` tree shares its hash (and row) with that tree.
    const treeBytes = new TextEncoder().encode(`tree\nf ${sha256Hex('inner')} 5 inner.txt\n`);
    const stored = async () => connection.db.selectFrom('vector_storage_objects').select('hash').where('project_id', '=', project.id).where('hash', '=', sha256Hex(treeBytes)).execute();
    expect(await stored()).toHaveLength(1);
    const { ref: second } = await storage.saveVersion({ project, parentRef: first, changes: [write('copy-of-tree.txt', treeBytes)], message: 'v2', author });
    expect(await stored()).toHaveLength(1);
    await storage.collectGarbage({ liveRefs: new Set([second]), startedBefore: at(50_000) });
    expect((await storage.getFiles({ project, ref: second })).map((file) => file.path)).toEqual(['copy-of-tree.txt', 'dir/inner.txt']);
  });

  it('is scoped per project: live refs of one project protect only what they reach', async () => {
    const a = newProject();
    const b = newProject();
    clock = 60_000;
    const { ref: refA } = await storage.saveVersion({ project: a, parentRef: null, changes: [write('same.txt', 'same')], message: 'a', author });
    await storage.saveVersion({ project: b, parentRef: null, changes: [write('same.txt', 'same')], message: 'b', author });
    await storage.collectGarbage({ liveRefs: new Set([refA]), startedBefore: at(70_000) });
    expect(await countRows(connection, b.id)).toEqual({ objects: 0, versions: 0, storedBytes: 0 });
    expect((await storage.getFiles({ project: a, ref: refA })).map((file) => file.path)).toEqual(['same.txt']);
  });

  it('never sweeps rows of another internal backend sharing the database', async () => {
    // Core passes each backend only the live refs of its own projects.
    const other = createInternalStorage({ database: connection, name: 'internal-large', now: () => at(clock) });
    const mine = newProject();
    const theirs = newProject();
    clock = 80_000;
    const { ref: myRef } = await storage.saveVersion({ project: mine, parentRef: null, changes: [write('mine.txt', 'mine')], message: 'mine', author });
    const { ref: theirRef } = await other.saveVersion({ project: theirs, parentRef: null, changes: [write('dir/theirs.txt', 'theirs')], message: 'theirs', author });
    const theirRows = await countRows(connection, theirs.id);
    await storage.collectGarbage({ liveRefs: new Set([myRef]), startedBefore: at(90_000) });
    expect(await countRows(connection, theirs.id)).toEqual(theirRows);
    expect((await other.getFiles({ project: theirs, ref: theirRef })).map((file) => decodeText(file.content))).toEqual(['theirs']);
    // And the other way round.
    const myRows = await countRows(connection, mine.id);
    await other.collectGarbage({ liveRefs: new Set([theirRef]), startedBefore: at(90_000) });
    expect(await countRows(connection, mine.id)).toEqual(myRows);
    // Each still collects its own garbage.
    await other.collectGarbage({ liveRefs: new Set(), startedBefore: at(90_000) });
    expect(await countRows(connection, theirs.id)).toEqual({ objects: 0, versions: 0, storedBytes: 0 });
    expect(await countRows(connection, mine.id)).toEqual(myRows);
  });

  it('rejects a startedBefore that is not a valid Date', async () => {
    await expect(storage.collectGarbage({ liveRefs: new Set(), startedBefore: new Date(Number.NaN) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
