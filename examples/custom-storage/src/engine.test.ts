import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDatabase, createVector, decodeText } from '@vector/core';
import { afterEach, expect, it } from 'vitest';
import { createFilesystemStorage } from './index.js';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

it('works as the storage of an engine: versions, rollback, diff', async () => {
  root = await mkdtemp(join(tmpdir(), 'vector-fs-engine-'));
  const database = createSqliteDatabase({ path: ':memory:' });
  const vector = createVector({ database, storage: [createFilesystemStorage({ root })] });
  try {
    await vector.start();
    const actor = { type: 'user', id: 'alice' } as const;
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    const acme = vector.scope({ organizationId: organization.id, actor });
    const project = await acme.projects.create({ name: 'Site' });
    expect(project.storageBackend).toBe('filesystem');
    const v1 = await acme.versions.create({ projectId: project.id, parentVersionId: null, message: 'one', files: [{ path: 'index.html', content: 'one' }] });
    const v2 = await acme.versions.create({ projectId: project.id, parentVersionId: v1.id, message: 'two', changes: [{ type: 'write', path: 'index.html', content: 'two' }] });
    await expect(acme.versions.create({ projectId: project.id, parentVersionId: v1.id, message: 'stale', changes: [] })).rejects.toMatchObject({ code: 'CONFLICT' });
    const v3 = await acme.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    expect(decodeText((await acme.versions.getFile(v3.id, 'index.html')).content)).toBe('one');
    expect((await acme.versions.diff({ fromVersionId: v2.id, toVersionId: v3.id })).map((file) => file.status)).toEqual(['modified']);
  } finally {
    await vector.dispose();
    await database.destroy();
  }
});
