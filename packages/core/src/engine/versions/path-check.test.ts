import { expect, it } from 'vitest';
import { sha256Hex } from '../../files/content.js';
import { defineStorageBackend } from '../../plugins/define-plugins.js';
import type { FileChange, FileEntry } from '../../schemas/source-file.js';
import { createScriptedAgent } from '../../reference/index.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';

/**
 * A storage backend with no path rules of its own: it stores whatever paths it is given in a
 * Map and records every call. Only the engine stands between a caller and it, so these tests
 * see the engine's check alone (the memory storage would refuse the same paths a second time).
 */
function createUncheckedStorage() {
  const calls: Array<{ method: string; paths: string[] }> = [];
  const versions = new Map<string, Map<string, Uint8Array>>();
  const filesAt = (ref: string) => versions.get(ref) ?? new Map<string, Uint8Array>();
  const backend = defineStorageBackend({
    specificationVersion: 'v1',
    name: 'unchecked',
    capabilities: { binary: true, garbageCollection: false, gitSource: false, maxFileBytes: 1024 * 1024 },
    async saveVersion({ parentRef, changes }) {
      calls.push({ method: 'saveVersion', paths: changes.map((change: FileChange) => change.path) });
      const files = new Map(parentRef === null ? [] : filesAt(parentRef));
      for (const change of changes) {
        if (change.type === 'delete') files.delete(change.path);
        else files.set(change.path, change.content);
      }
      const ref = `ref-${versions.size + 1}`;
      versions.set(ref, files);
      return { ref, fileCount: files.size };
    },
    async getFiles({ ref, paths }) {
      calls.push({ method: 'getFiles', paths: paths ? [...paths] : [] });
      return [...filesAt(ref)].filter(([path]) => !paths || paths.includes(path)).map(([path, content]) => ({ path, content }));
    },
    async getFile({ ref, path }) {
      calls.push({ method: 'getFile', paths: [path] });
      const content = filesAt(ref).get(path);
      return content ? { path, content } : null;
    },
    async listFiles({ ref }) {
      const entries: FileEntry[] = [...filesAt(ref)].map(([path, content]) => ({ path, size: content.byteLength, hash: sha256Hex(content) }));
      return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
    },
    async diffVersions() {
      return [];
    },
  });
  return { backend, calls, pathsAsked: (method: string) => calls.filter((call) => call.method === method).flatMap((call) => call.paths) };
}

/** Paths `normalizeFilePath` refuses (see files/path-rules.ts), one or more per rule. */
const refusedPaths = [
  '../x',
  'a/../../b',
  'src/../package.json',
  'a/..',
  '/abs',
  '/etc/passwd',
  'C:/Windows/system.ini',
  'a\\b.txt',
  '..\\x',
  'nul\u0000.txt',
  'line\nbreak.txt',
  '.',
  './',
];

describeEachDatabase("the engine's own path check", (database) => {
  let storage: ReturnType<typeof createUncheckedStorage>;
  const engine = useEngine(database, {
    storage: () => {
      storage = createUncheckedStorage();
      return [storage.backend];
    },
    // Writes the path the message names, so a job's result carries any path the test picks.
    agents: () => [
      createScriptedAgent({
        type: 'path-writer',
        script: (context) => [{ type: 'result', changes: [{ type: 'write', path: context.message.content, content: 'x' }], commitMessage: 'write', summary: 'wrote', validationStatus: 'not_run' }],
      }),
    ],
  });

  async function projectWithVersion1() {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Paths' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    return { project, v1 };
  }

  it('refuses .., absolute, backslash, control-character and empty paths in versions.create with VALIDATION_FAILED, never calling storage', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const savesBefore = storage.pathsAsked('saveVersion');
    for (const path of refusedPaths) {
      const inputs = [
        { changes: [{ type: 'write' as const, path, content: 'evil' }], message: 'write' },
        { changes: [{ type: 'delete' as const, path }], message: 'delete' },
        { files: [...sampleFiles(), { path, content: 'evil' }], message: 'snapshot' },
      ];
      for (const input of inputs) {
        await expect(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, ...input }), `${input.message} ${JSON.stringify(path)}`).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    }
    expect(storage.pathsAsked('saveVersion')).toEqual(savesBefore);
    expect((await scope.versions.list(project.id)).items.map((version) => version.id)).toEqual([v1.id]);
  });

  it('hands storage the normal form of a path it accepts', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    await scope.versions.create({
      projectId: project.id,
      parentVersionId: v1.id,
      changes: [
        { type: 'write', path: 'a//b.txt', content: 'b' },
        { type: 'write', path: './c.txt', content: 'c' },
        { type: 'write', path: 'd/./e.txt', content: 'e' },
      ],
      message: 'odd spellings',
    });
    expect(storage.pathsAsked('saveVersion').slice(-3)).toEqual(['a/b.txt', 'c.txt', 'd/e.txt']);
  });

  it('refuses such paths when reading a version, never asking storage for them', async () => {
    const { scope } = engine();
    const { v1 } = await projectWithVersion1();
    for (const path of refusedPaths) {
      await expect(scope.versions.getFile(v1.id, path), JSON.stringify(path)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(scope.versions.getFiles(v1.id, ['index.html', path]), JSON.stringify(path)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect([...storage.pathsAsked('getFile'), ...storage.pathsAsked('getFiles')]).toEqual([]);
  });

  it('fails a job whose agent writes such a path, saving nothing', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'path-writer' });
    const savesBefore = storage.pathsAsked('saveVersion');
    for (const path of ['../escape.txt', 'a/../../b', '/abs.txt', 'a\\b.txt']) {
      const { job } = await scope.agent.postMessage({ sessionId: session.id, content: path });
      const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      expect({ path, status: finished.status, code: finished.error?.code }).toEqual({ path, status: 'failed', code: 'VALIDATION_FAILED' });
    }
    expect(storage.pathsAsked('saveVersion')).toEqual(savesBefore);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(v1.id);
  });
});
