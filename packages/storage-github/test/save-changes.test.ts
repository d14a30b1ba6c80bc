import { encodeText, type FileChange, ProviderError, ValidationError } from '@vector/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { author, fakeStorage, newProject, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub();
beforeEach(() => {
  fake.requests.length = 0;
  fake.treeFilesFilter = null;
  fake.treeWritesFirst = false;
});

const text = (path: string, content: string): FileChange => ({ type: 'write', path, content: encodeText(content) });
// Binary content is uploaded as a blob, never sent inline in the tree request.
const binary = (path: string): FileChange => ({ type: 'write', path, content: new Uint8Array([0, 1, 2, path.length]) });
const remove = (path: string): FileChange => ({ type: 'delete', path });

async function projectWith(changes: FileChange[]) {
  const storage = fakeStorage(fake);
  const project = newProject();
  await storage.createProject?.({ project });
  const { ref } = await storage.saveVersion({ project, parentRef: null, changes, message: 'v1', author });
  return { storage, project, parentRef: ref };
}

const commitsCreated = () => fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/git/commits')).length;

describe('saveVersion applies changes (the last change of a path wins) and checks the result, like every backend', () => {
  for (const [kind, make] of [['binary', binary], ['text', (path: string) => text(path, `content of ${path}`)]] as const) {
    it(`rejects writing below a file that stays (${kind}), naming both paths and committing nothing`, async () => {
      const { storage, project, parentRef } = await projectWith([text('a', 'file a')]);
      fake.requests.length = 0;
      const error = await storage.saveVersion({ project, parentRef, changes: [make('a/b'), text('keep.txt', 'kept')], message: 'v2', author }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain('both a and a/b');
      expect((error as ValidationError).issues[0]?.path).toEqual(['changes', 0, 'path']);
      expect(commitsCreated()).toBe(0);
    });

    it(`turns a file into a directory when the delete comes after the write (${kind}): the result is checked, not each step`, async () => {
      for (const writesFirst of [false, true]) {
        const { storage, project, parentRef } = await projectWith([text('a', 'file a'), text('keep.txt', 'kept')]);
        fake.treeWritesFirst = writesFirst;
        const { ref } = await storage.saveVersion({ project, parentRef, changes: [make('a/b'), remove('a')], message: 'v2', author });
        expect((await storage.listFiles({ project, ref })).map((file) => file.path)).toEqual(['a/b', 'keep.txt']);
      }
    });

    it(`turns a file into a directory when the delete comes first (${kind}), whatever order GitHub applies entries in`, async () => {
      for (const writesFirst of [false, true]) {
        const { storage, project, parentRef } = await projectWith([text('a', 'file a'), text('keep.txt', 'kept')]);
        fake.treeWritesFirst = writesFirst;
        const { ref } = await storage.saveVersion({ project, parentRef, changes: [remove('a'), make('a/b')], message: 'v2', author });
        expect((await storage.listFiles({ project, ref })).map((file) => file.path)).toEqual(['a/b', 'keep.txt']);
      }
    });

    it(`turns a directory into a file when its files are deleted first (${kind})`, async () => {
      for (const writesFirst of [false, true]) {
        const { storage, project, parentRef } = await projectWith([text('a/b', 'nested'), text('a/c', 'nested too')]);
        fake.treeWritesFirst = writesFirst;
        const { ref } = await storage.saveVersion({ project, parentRef, changes: [remove('a/b'), remove('a/c'), make('a')], message: 'v2', author });
        expect((await storage.listFiles({ project, ref })).map((file) => file.path)).toEqual(['a']);
      }
    });

    it(`turns a directory into a file when its files are deleted after the write (${kind})`, async () => {
      for (const writesFirst of [false, true]) {
        const { storage, project, parentRef } = await projectWith([text('a/b', 'nested'), text('a/c', 'nested too')]);
        fake.treeWritesFirst = writesFirst;
        const { ref } = await storage.saveVersion({ project, parentRef, changes: [make('a'), remove('a/b'), remove('a/c')], message: 'v2', author });
        expect((await storage.listFiles({ project, ref })).map((file) => file.path)).toEqual(['a']);
      }
    });
  }

  it('rejects writing onto a directory that still holds files', async () => {
    const { storage, project, parentRef } = await projectWith([text('a/b', 'nested')]);
    const error = await storage.saveVersion({ project, parentRef, changes: [binary('a')], message: 'v2', author }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(['changes', 0, 'path']);
  });

  it('checks the created tree even when every file was uploaded as a blob', async () => {
    const { storage, project, parentRef } = await projectWith([text('keep.txt', 'kept')]);
    fake.treeFilesFilter = (files) => files.delete('image.bin');
    fake.requests.length = 0;
    const error = await storage.saveVersion({ project, parentRef, changes: [binary('image.bin')], message: 'v2', author }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect(commitsCreated()).toBe(0);
  });

  it('checks a tree made of deletions only', async () => {
    const { storage, project, parentRef } = await projectWith([text('a.txt', 'a'), text('b.txt', 'b')]);
    fake.treeFilesFilter = (files) => files.clear();
    await expect(storage.saveVersion({ project, parentRef, changes: [remove('a.txt')], message: 'v2', author })).rejects.toBeInstanceOf(ProviderError);
  });
});
