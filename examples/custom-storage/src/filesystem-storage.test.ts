import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeText, VectorError } from '@vector/core';
import { storageBackendConformance } from '@vector/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFilesystemStorage } from './index.js';

// The whole storage contract, run against a fresh directory per test.
storageBackendConformance({
  name: 'filesystem (example)',
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'vector-fs-storage-'));
    // A small maxFileBytes keeps the oversize test from allocating 25 MiB.
    return { backend: createFilesystemStorage({ root, maxFileBytes: 1024 * 1024 }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
});

describe('filesystem storage specifics', () => {
  let parent: string;
  let root: string;
  const project = { id: '../../escape', organizationId: 'org', name: 'Escape attempt', settings: {} };
  const author = { name: 'Test', email: 'test@example.com' };

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'vector-fs-parent-'));
    root = join(parent, 'root');
  });
  afterEach(() => rm(parent, { recursive: true, force: true }));

  it('never writes outside root, whatever the project id, paths or ref', async () => {
    const storage = createFilesystemStorage({ root });
    await storage.init?.();
    await storage.createProject?.({ project });
    const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [{ type: 'write', path: 'a/b.txt', content: encodeText('x') }], message: 'm', author });
    await expect(storage.saveVersion({ project, parentRef: null, changes: [{ type: 'write', path: '../../outside.txt', content: encodeText('x') }], message: 'm', author })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(storage.getFiles({ project, ref: '../../../etc/passwd' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await readdir(parent)).toEqual(['root']);
    expect((await readdir(root)).sort()).toEqual(['objects', 'projects', 'tmp']);
    expect((await storage.getFile({ project, ref, path: 'a/b.txt' }))?.path).toBe('a/b.txt');
  });

  it('keeps versions across instances on the same root', async () => {
    const first = createFilesystemStorage({ root });
    await first.init?.();
    const { ref } = await first.saveVersion({ project, parentRef: null, changes: [{ type: 'write', path: 'index.html', content: encodeText('<h1>kept</h1>') }], message: 'm', author });
    const second = createFilesystemStorage({ root });
    expect((await second.listFiles({ project, ref })).map((entry) => entry.path)).toEqual(['index.html']);
  });

  it('reports an unknown ref as NOT_FOUND and a missing root as VALIDATION_FAILED', async () => {
    const storage = createFilesystemStorage({ root });
    const error = await storage.listFiles({ project, ref: 'a'.repeat(64) }).catch((caught: unknown) => caught);
    expect(VectorError.isInstance(error) && error.code).toBe('NOT_FOUND');
    const previous = process.env.VECTOR_FS_STORAGE_ROOT;
    delete process.env.VECTOR_FS_STORAGE_ROOT;
    try {
      expect(() => createFilesystemStorage()).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    } finally {
      if (previous !== undefined) process.env.VECTOR_FS_STORAGE_ROOT = previous;
    }
  });
});
