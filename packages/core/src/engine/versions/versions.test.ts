import { expect, it } from 'vitest';
import { ConflictError } from '../../errors/conflict-error.js';
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
