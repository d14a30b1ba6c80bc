import { createVector, decodeText, type Vector, type VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createInternalStorage, type InternalStorage } from '../src/index.js';
import { countRows } from './storage-helpers.js';

describeEachDatabase('internal storage behind the engine', (database) => {
  let connection: VectorDatabaseConnection;
  let storage: InternalStorage;
  let vector: Vector;
  beforeEach(async () => {
    connection = await database.create();
    storage = createInternalStorage({ database: connection });
    vector = createVector({ database: connection, storage: [storage] });
    await vector.start();
  });
  afterEach(async () => {
    await vector.dispose();
    await connection.destroy();
  });

  it('stores versions, reads, diffs and rolls back through the engine, sharing its database', async () => {
    const actor = { type: 'user' as const, id: 'user-1' };
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    const scope = vector.scope({ organizationId: organization.id, actor });
    const project = await scope.projects.create({ name: 'app' });
    expect(project.storageBackend).toBe('internal');

    const v1 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: null,
      files: [
        { path: 'index.html', content: '<h1>Hi</h1>\n' },
        { path: 'public/pixel.gif', content: 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', encoding: 'base64' },
      ],
      message: 'first',
    });
    expect(v1.fileCount).toBe(2);
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>Hello</h1>\n' }], message: 'second' });
    expect(decodeText((await scope.versions.getFile(v2.id, 'index.html')).content)).toBe('<h1>Hello</h1>\n');
    const gif = await scope.versions.getFile(v2.id, 'public/pixel.gif');
    expect(Buffer.from(gif.content).toString('base64')).toBe('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==');
    const diff = await scope.versions.diff({ fromVersionId: v1.id, toVersionId: v2.id });
    expect(diff.map((entry) => [entry.path, entry.status, entry.additions, entry.deletions])).toEqual([['index.html', 'modified', 1, 1]]);
    const rolledBack = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    expect(decodeText((await scope.versions.getFile(rolledBack.id, 'index.html')).content)).toBe('<h1>Hi</h1>\n');

    // Every ref the engine recorded survives a collection seeded from its version rows.
    const rows = await vector.db.selectFrom('vector_code_versions').select('storage_ref').execute();
    await storage.collectGarbage({ liveRefs: new Set(rows.map((row: { storage_ref: string }) => row.storage_ref)), startedBefore: new Date(Date.now() + 60_000) });
    for (const version of [v1, v2, rolledBack]) expect(await scope.versions.listFiles(version.id)).toHaveLength(2);

    await scope.projects.delete(project.id);
    expect(await countRows(connection, project.id)).toEqual({ objects: 0, versions: 0, storedBytes: 0 });
  });

  it('turns a directory into a file through the engine, and records the right fileCount for every version, a rollback to equal files included', async () => {
    const actor = { type: 'user' as const, id: 'user-1' };
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    const scope = vector.scope({ organizationId: organization.id, actor });
    const project = await scope.projects.create({ name: 'app' });
    const counted = async (version: { id: string; fileCount: number }) => {
      const paths = (await scope.versions.listFiles(version.id)).map((entry) => entry.path);
      expect(version.fileCount, 'fileCount').toBe(paths.length);
      return paths;
    };
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [{ path: 'a/b.txt', content: 'nested' }, { path: 'keep.txt', content: 'kept' }], message: 'first' });
    expect(await counted(v1)).toEqual(['a/b.txt', 'keep.txt']);
    // A snapshot lists its writes before the deletes it implies: the file a is written while a/b.txt still exists.
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: [{ path: 'a', content: 'a file' }, { path: 'keep.txt', content: 'kept' }], message: 'snapshot' });
    expect(await counted(v2)).toEqual(['a', 'keep.txt']);
    const v3 = await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [{ type: 'write', path: 'a/b.txt', content: 'back' }, { type: 'delete', path: 'a' }], message: 'changes' });
    expect(await counted(v3)).toEqual(['a/b.txt', 'keep.txt']);
    // A restore of the files the project already holds saves no change at all, and still counts them.
    const restored = await scope.versions.rollback({ projectId: project.id, targetVersionId: v3.id });
    expect(restored.fileCount).toBe(2);
    expect(await counted(restored)).toEqual(['a/b.txt', 'keep.txt']);
  });
});
