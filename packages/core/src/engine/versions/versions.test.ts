import { expect, it } from 'vitest';
import { ConflictError } from '../../errors/conflict-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { decodeText } from '../../files/content.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

describeEachDatabase('versions', (database) => {
  const engine = useEngine(database);

  async function newProject() {
    return engine().scope.projects.create({ name: 'Shop' });
  }

  /** A new project whose version 1 ('first') holds `files`. */
  async function projectWithVersion1(files: Array<{ path: string; content: string }> = sampleFiles()) {
    const project = await newProject();
    const v1 = await engine().scope.versions.create({ projectId: project.id, parentVersionId: null, files, message: 'first' });
    return { project, v1 };
  }

  it('serves a listing from memory only to whoever may see the version: never another organization, never after the project is deleted', async () => {
    const { scope, otherScope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const listed = await scope.versions.listFiles(v1.id);
    // Read twice: the second comes from the cache, and a caller's changes never reach it.
    listed[0]!.path = 'changed-by-caller';
    listed.pop();
    expect((await scope.versions.listFiles(v1.id)).map((entry) => entry.path)).toEqual(['index.html', 'package.json', 'src/main.js']);
    await expect(otherScope.versions.listFiles(v1.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await scope.projects.delete(project.id);
    await expect(scope.versions.listFiles(v1.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('creates version 1 from files and reads them back', async () => {
    const { scope } = engine();
    const { project, v1: version } = await projectWithVersion1();
    expect(version).toMatchObject({ number: 1, parentId: null, source: 'manual', fileCount: 3, projectId: project.id, validationStatus: 'not_run', validationCheck: null, generationStatus: 'not_applicable' });
    expect(await scope.versions.get(version.id)).toEqual(version);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(version.id);
    expect((await scope.versions.listFiles(version.id)).map((entry) => entry.path)).toEqual(['index.html', 'package.json', 'src/main.js']);
    const file = await scope.versions.getFile(version.id, 'src/main.js');
    expect(decodeText(file.content)).toBe('console.log("v1");\n');
    const subset = await scope.versions.getFiles(version.id, ['index.html']);
    expect(subset.map((entry) => entry.path)).toEqual(['index.html']);
    await expect(scope.versions.getFile(version.id, 'missing.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('applies changes on top of the parent and replaces with a full file set', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const v2 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: v1.id,
      changes: [
        { type: 'write', path: 'src/util.js', content: 'export const x = 1;\n' },
        { type: 'delete', path: 'package.json' },
        { type: 'write', path: 'logo.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]).toString('base64'), encoding: 'base64' },
      ],
      message: 'second',
    });
    expect(v2).toMatchObject({ number: 2, parentId: v1.id, fileCount: 4 });
    expect((await scope.versions.getFile(v2.id, 'logo.png')).content).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    const v3 = await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, files: [{ path: 'only.txt', content: 'alone' }], message: 'replace' });
    expect((await scope.versions.listFiles(v3.id)).map((entry) => entry.path)).toEqual(['only.txt']);
    // Old versions are immutable.
    expect((await scope.versions.listFiles(v1.id)).length).toBe(3);
  });

  /** The error a promise rejects with. */
  async function failure(promise: Promise<unknown>): Promise<ValidationError> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }

  /** Version numbers of the project, newest first. */
  async function numbers(projectId: string) {
    return (await engine().scope.versions.list(projectId)).items.map((version) => version.number);
  }

  /** The version's paths, and a check that its recorded fileCount matches them. */
  async function pathsOf(version: { id: string; fileCount: number }) {
    const paths = (await engine().scope.versions.listFiles(version.id)).map((entry) => entry.path);
    expect(version.fileCount, 'fileCount').toBe(paths.length);
    return paths;
  }

  it('turns a directory into a file, and a file into a directory, in one version: with changes in any order and with files', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1([
      { path: 'a/b.txt', content: 'nested' },
      { path: 'a/deep/c.txt', content: 'deeper' },
      { path: 'notes', content: 'a file' },
    ]);
    // The writes before the deletes: only the result counts.
    const v2 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: v1.id,
      changes: [
        { type: 'write', path: 'a', content: 'now a file' },
        { type: 'write', path: 'notes/today.md', content: 'now a directory' },
        { type: 'delete', path: 'a/b.txt' },
        { type: 'delete', path: 'notes' },
        { type: 'delete', path: 'a/deep/c.txt' },
      ],
      message: 'swap, writes first',
    });
    expect(await pathsOf(v2)).toEqual(['a', 'notes/today.md']);
    expect(decodeText((await scope.versions.getFile(v2.id, 'a')).content)).toBe('now a file');
    // And back, deletes first.
    const v3 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: v2.id,
      changes: [
        { type: 'delete', path: 'a' },
        { type: 'delete', path: 'notes/today.md' },
        { type: 'write', path: 'a/b.txt', content: 'nested again' },
        { type: 'write', path: 'notes', content: 'a file again' },
      ],
      message: 'swap back, deletes first',
    });
    expect(await pathsOf(v3)).toEqual(['a/b.txt', 'notes']);
    // A snapshot replacing a/b.txt with a file a.
    const v4 = await scope.versions.create({ projectId: project.id, parentVersionId: v3.id, files: [{ path: 'a', content: 'a file' }, { path: 'notes/today.md', content: 'x' }], message: 'snapshot swap' });
    expect(await pathsOf(v4)).toEqual(['a', 'notes/today.md']);
    expect(await numbers(project.id)).toEqual([4, 3, 2, 1]);
  });

  it('refuses a version whose files would hold a path both as a file and as a directory, naming both paths', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1([
      { path: 'a/b.txt', content: 'nested' },
      { path: 'a/c.txt', content: 'nested too' },
      { path: 'notes', content: 'a file' },
    ]);
    const attempts = [
      { input: { changes: [{ type: 'delete' as const, path: 'a/b.txt' }, { type: 'write' as const, path: 'a', content: 'file' }] }, issue: ['changes', 1, 'path'], paths: ['a', 'a/c.txt'] },
      { input: { changes: [{ type: 'write' as const, path: 'README.md', content: '#' }, { type: 'write' as const, path: 'notes/today.md', content: 'below a file' }] }, issue: ['changes', 1, 'path'], paths: ['notes', 'notes/today.md'] },
      { input: { files: [{ path: 'a', content: 'file' }, { path: 'a/c.txt', content: 'kept' }] }, issue: ['files', 1, 'path'], paths: ['a', 'a/c.txt'] },
      { input: { files: [{ path: 'x/y/z.txt', content: 'deep' }, { path: 'x/y', content: 'file' }] }, issue: ['files', 1, 'path'], paths: ['x/y', 'x/y/z.txt'] },
    ];
    for (const { input, issue, paths } of attempts) {
      const error = await failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, message: 'both', ...input }));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.issues[0]?.path).toEqual(issue);
      for (const path of paths) expect(error.message).toContain(path);
    }
    const first = await failure(scope.versions.create({ projectId: (await newProject()).id, parentVersionId: null, changes: [{ type: 'write', path: 'a', content: '1' }, { type: 'write', path: 'a/b', content: '2' }], message: 'both' }));
    expect(first.issues[0]?.path).toEqual(['changes', 1, 'path']);
    expect(await numbers(project.id)).toEqual([1]);
  });

  it('refuses a write that changes nothing, or deletes a path the parent lacks, and creates no version', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const create = (input: { changes: Array<{ type: 'write'; path: string; content: string } | { type: 'delete'; path: string }> } | { files: Array<{ path: string; content: string }> }) =>
      failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, message: 'nothing', ...input }));

    const empty = await create({ changes: [] });
    expect(empty.issues).toEqual([{ path: ['changes'], message: 'the changes leave the files as they are: nothing to save' }]);
    expect(empty.message).toBe('The changes leave the files as they are: nothing to save');
    // Writing a file's own content back, alone or with others.
    const [index, main] = sampleFiles();
    expect((await create({ changes: [{ type: 'write', ...index! }, { type: 'write', ...main! }] })).issues[0]?.path).toEqual(['changes']);
    // The same files as the parent, in another order.
    expect((await create({ files: [...sampleFiles()].reverse() })).issues).toEqual([{ path: ['files'], message: 'the files are those of the parent version: nothing to save' }]);

    const missing = await create({ changes: [{ type: 'write', path: 'new.txt', content: 'new' }, { type: 'delete', path: 'missing.txt' }] });
    expect(missing.issues).toEqual([{ path: ['changes', 1, 'path'], message: 'missing.txt does not exist in the parent version' }]);
    expect(missing.message).toContain('missing.txt');
    const directory = await create({ changes: [{ type: 'delete', path: 'src' }] });
    expect(directory.issues[0]?.path).toEqual(['changes', 0, 'path']);
    expect(directory.message).toContain('src is a directory');
    expect(await numbers(project.id)).toEqual([1]);

    // One byte of difference at the same size is a change; so is deleting every file.
    const changed = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'src/main.js', content: 'console.log("v2");\n' }], message: 'same size' });
    expect(await pathsOf(changed)).toEqual(['index.html', 'package.json', 'src/main.js']);
    const emptied = await scope.versions.create({ projectId: project.id, parentVersionId: changed.id, files: [], message: 'delete everything' });
    expect(emptied.fileCount).toBe(0);
    expect(await pathsOf(emptied)).toEqual([]);
    expect(await numbers(project.id)).toEqual([3, 2, 1]);
  });

  it('refuses a first version with no files, from files or from changes', async () => {
    const { scope } = engine();
    const project = await newProject();
    const fromFiles = await failure(scope.versions.create({ projectId: project.id, parentVersionId: null, files: [], message: 'nothing' }));
    expect(fromFiles.issues).toEqual([{ path: ['files'], message: 'the first version would hold no files: nothing to save' }]);
    const fromChanges = await failure(scope.versions.create({ projectId: project.id, parentVersionId: null, changes: [], message: 'nothing' }));
    expect(fromChanges.issues[0]?.path).toEqual(['changes']);
    const deleting = await failure(scope.versions.create({ projectId: project.id, parentVersionId: null, changes: [{ type: 'delete', path: 'a.txt' }], message: 'nothing' }));
    expect(deleting.issues[0]?.path).toEqual(['changes', 0, 'path']);
    expect((await scope.projects.get(project.id)).currentVersionId).toBeNull();
    expect(await numbers(project.id)).toEqual([]);
  });

  it('still records a rollback to files equal to the current ones, with the right fileCount', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const restored = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    expect(restored).toMatchObject({ number: 2, source: 'rollback', restoredFromId: v1.id, fileCount: 3 });
    expect(await pathsOf(restored)).toEqual(['index.html', 'package.json', 'src/main.js']);
  });

  it('rejects a write whose parent is no longer current as a conflict', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.txt', content: 'a' }], message: 'manual edit' });
    const stale = scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'b.txt', content: 'b' }], message: 'racing agent' });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await scope.versions.list(project.id)).items.map((version) => version.number)).toEqual([2, 1]);
  });

  it('numbers N concurrent writers 1..N with no gaps or duplicates', async () => {
    const { scope } = engine();
    const project = await newProject();
    const writers = 12;
    let conflicts = 0;
    // Each writer retries on conflict from the head it sees, as a real client would.
    const write = async (index: number) => {
      for (;;) {
        const head = (await scope.projects.get(project.id)).currentVersionId;
        try {
          return await scope.versions.create({ projectId: project.id, parentVersionId: head, changes: [{ type: 'write', path: `w/${index}.txt`, content: String(index) }], message: `writer ${index}` });
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          conflicts += 1;
        }
      }
    };
    const created = await Promise.all(Array.from({ length: writers }, (_, index) => write(index)));
    const numbers = created.map((version) => version.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: writers }, (_, index) => index + 1));
    const all = (await scope.versions.list(project.id, { limit: 100 })).items;
    expect(all).toHaveLength(writers);
    // The chain is linear: each version's parent is the one numbered just before it.
    const byNumber = new Map(all.map((version) => [version.number, version]));
    for (let number = 2; number <= writers; number += 1) expect(byNumber.get(number)?.parentId).toBe(byNumber.get(number - 1)?.id);
    expect((await scope.versions.listFiles(byNumber.get(writers)?.id as string)).length).toBe(writers);
    expect(conflicts).toBeGreaterThanOrEqual(0);
  });

  it('lets exactly one of several writers from the same parent win', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'x.txt', content: String(index) }], message: `w${index}` })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
    expect((await scope.versions.list(project.id)).items.map((version) => version.number)).toEqual([2, 1]);
  });

  it('diffs two versions with added, modified, deleted and renamed files', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1([...sampleFiles(), { path: 'old-name.txt', content: 'same content\n' }]);
    const v2 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: v1.id,
      changes: [
        { type: 'write', path: 'src/main.js', content: 'console.log("v2");\n' },
        { type: 'delete', path: 'package.json' },
        { type: 'delete', path: 'old-name.txt' },
        { type: 'write', path: 'new-name.txt', content: 'same content\n' },
        { type: 'write', path: 'README.md', content: '# hi\n' },
      ],
      message: 'second',
    });
    const diff = await scope.versions.diff({ fromVersionId: v1.id, toVersionId: v2.id });
    const summary = Object.fromEntries(diff.map((entry) => [entry.path, entry.status]));
    expect(summary).toEqual({ 'README.md': 'added', 'new-name.txt': 'renamed', 'package.json': 'deleted', 'src/main.js': 'modified' });
    const modified = diff.find((entry) => entry.path === 'src/main.js');
    expect(modified?.patch).toContain('-console.log("v1");');
    expect(modified?.patch).toContain('+console.log("v2");');
    expect(diff.find((entry) => entry.path === 'new-name.txt')?.previousPath).toBe('old-name.txt');
    const fromEmpty = await scope.versions.diff({ fromVersionId: null, toVersionId: v1.id });
    expect(fromEmpty.every((entry) => entry.status === 'added')).toBe(true);
  });

  it('rolls back by creating a new version equal to an old one, never rewriting history', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1(sampleFiles('one'));
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: [...sampleFiles('two'), { path: 'extra.txt', content: 'x' }], message: 'second' });
    await expect(scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id, expectedCurrentVersionId: v1.id })).rejects.toBeInstanceOf(ConflictError);
    const v3 = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id, expectedCurrentVersionId: v2.id });
    expect(v3).toMatchObject({ number: 3, parentId: v2.id, source: 'rollback', restoredFromId: v1.id });
    expect(await scope.versions.diff({ fromVersionId: v1.id, toVersionId: v3.id })).toEqual([]);
    expect((await scope.versions.list(project.id)).items.map((version) => version.number)).toEqual([3, 2, 1]);
    expect((await scope.versions.get(v2.id)).storageRef).toBe(v2.storageRef);
  });

  it('publishes a version of the project', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const { project: published, deployment } = await scope.versions.publish({ projectId: project.id, versionId: v1.id });
    expect(published.publishedVersionId).toBe(v1.id);
    expect(deployment).toBeNull();
    const other = await newProject();
    await expect(scope.versions.publish({ projectId: other.id, versionId: v1.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('pages through versions', async () => {
    const { scope } = engine();
    const project = await newProject();
    let parent: string | null = null;
    for (let index = 0; index < 5; index += 1) {
      const created = await scope.versions.create({ projectId: project.id, parentVersionId: parent, changes: [{ type: 'write', path: 'n.txt', content: String(index) }], message: `v${index}` });
      parent = created.id;
    }
    const first = await scope.versions.list(project.id, { limit: 2 });
    const second = await scope.versions.list(project.id, { limit: 2, cursor: first.nextCursor });
    const third = await scope.versions.list(project.id, { limit: 2, cursor: second.nextCursor });
    expect([...first.items, ...second.items, ...third.items].map((version) => version.number)).toEqual([5, 4, 3, 2, 1]);
    expect(third.nextCursor).toBeNull();
  });

  it('rejects a cursor from another list as invalid input', async () => {
    const { scope } = engine();
    const project = await newProject();
    const projects = await scope.projects.list({ limit: 1 });
    await scope.projects.create({ name: 'Second' });
    const page = await scope.projects.list({ limit: 1 });
    expect(page.nextCursor).not.toBeNull();
    await expect(scope.versions.list(project.id, { cursor: page.nextCursor })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(projects.items).toHaveLength(1);
  });
});
