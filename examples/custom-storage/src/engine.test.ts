import { createSqliteDatabase, createVector, decodeText } from '@vector/core';
import { expect, it } from 'vitest';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { useTemporaryDirectories } from '../../../test-support/temporary-directories.js';
import { createFilesystemStorage } from './index.js';

const temporaryDirectory = useTemporaryDirectories();

it('works as the storage of an engine: versions, rollback, diff', async () => {
  const root = await temporaryDirectory('vector-fs-engine-');
  const database = createSqliteDatabase({ path: ':memory:' });
  const vector = createVector({ database, storage: [createFilesystemStorage({ root })] });
  const { scope: acme, stop } = await startInOrganization(vector, database, { type: 'user', id: 'alice' });
  try {
    const project = await acme.projects.create({ name: 'Site' });
    expect(project.storageBackend).toBe('filesystem');
    const v1 = await acme.versions.create({ projectId: project.id, parentVersionId: null, message: 'one', files: [{ path: 'index.html', content: 'one' }] });
    const v2 = await acme.versions.create({ projectId: project.id, parentVersionId: v1.id, message: 'two', changes: [{ type: 'write', path: 'index.html', content: 'two' }] });
    await expect(acme.versions.create({ projectId: project.id, parentVersionId: v1.id, message: 'stale', changes: [] })).rejects.toMatchObject({ code: 'CONFLICT' });
    const v3 = await acme.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    expect(decodeText((await acme.versions.getFile(v3.id, 'index.html')).content)).toBe('one');
    expect((await acme.versions.diff({ fromVersionId: v2.id, toVersionId: v3.id })).map((file) => file.status)).toEqual(['modified']);
  } finally {
    await stop();
  }
});
