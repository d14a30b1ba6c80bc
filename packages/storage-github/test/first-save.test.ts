import { ConflictError, decodeText } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { author, fakeStorage, newProject, useFakeGitHub, write } from './storage-fixture.js';

const fake = useFakeGitHub();

describe('a first version (parent null) on a branch that already has a commit', () => {
  it('is a ConflictError on a repository holding someone else’s code, and writes nothing', async () => {
    const repo = fake.createRepository('acme', `existing-${newProject().id}`, { files: { 'src/main.ts': 'real code', 'package.json': '{}' } });
    const tip = repo.refs.get('refs/heads/main');
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    const project = newProject({ repository: repo.name });
    fake.requests.length = 0;
    const error = await storage.saveVersion({ project, parentRef: null, changes: [write('index.html', '<h1/>')], message: 'v1', author }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('importRepository');
    expect(fake.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(repo.refs.get('refs/heads/main')).toBe(tip);
  });

  it('replaces the README of an auto_init commit (what createProject makes)', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('index.html', '<h1/>')], message: 'v1', author });
    await storage.finalizeVersion({ project, ref, parentRef: null });
    expect((await storage.listFiles({ project, ref })).map((file) => file.path)).toEqual(['index.html']);
  });

  it('adopts the repository through importRepository, keeping its files', async () => {
    const repo = fake.createRepository('acme', `adopt-${newProject().id}`, { files: { 'src/main.ts': 'real code', 'package.json': '{}' } });
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    const project = newProject({ repository: repo.name });
    const { ref } = await storage.importRepository({ project, owner: 'acme', repository: repo.name });
    expect(ref).toBe(repo.refs.get('refs/heads/main'));
    await storage.finalizeVersion({ project, ref, parentRef: null });
    const next = await storage.saveVersion({ project, parentRef: ref, changes: [write('index.html', '<h1/>')], message: 'v2', author });
    await storage.finalizeVersion({ project, ref: next.ref, parentRef: ref });
    const files = await storage.getFiles({ project, ref: next.ref });
    expect(files.map((file) => [file.path, decodeText(file.content)])).toEqual([
      ['index.html', '<h1/>'],
      ['package.json', '{}'],
      ['src/main.ts', 'real code'],
    ]);
  });
});
