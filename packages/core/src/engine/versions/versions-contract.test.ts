import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ConflictError } from '../../errors/conflict-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { decodeText } from '../../files/content.js';
import { defineStorageBackend } from '../../plugins/define-plugins.js';
import type { SaveVersionInput } from '../../plugins/storage-backend.js';
import { createMemoryStorage, createStaticProvider } from '../../reference/index.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';

/**
 * Memory storage that records what the engine asks of it: every `saveVersion` input, the paths
 * of every `getFiles` read and the number of `listFiles` calls. `failFinalize` makes its
 * `finalizeVersion` fail.
 */
function createRecordingStorage() {
  const inner = createMemoryStorage();
  const record = {
    saves: [] as SaveVersionInput[],
    reads: [] as Array<string[] | 'all'>,
    listings: 0,
    failFinalize: false,
    /** Runs after the next listing of a ref other than `afterListingOf.except`. */
    afterListingOf: null as null | { except: string; run: () => Promise<void> },
  };
  const backend = defineStorageBackend({
    ...inner,
    name: 'recording',
    async saveVersion(input) {
      record.saves.push(input);
      return inner.saveVersion(input);
    },
    async getFiles(input) {
      record.reads.push(input.paths ? [...input.paths] : 'all');
      return inner.getFiles(input);
    },
    async listFiles(input) {
      record.listings += 1;
      const listing = await inner.listFiles(input);
      const hook = record.afterListingOf;
      if (hook && input.ref !== hook.except) {
        record.afterListingOf = null;
        await hook.run();
      }
      return listing;
    },
    // Methods of a storage changed outside Vector, without that capability: never called.
    async readHead() {
      throw new Error('readHead is not offered');
    },
    async relateRefs() {
      throw new Error('relateRefs is not offered');
    },
    async keepOver() {
      throw new Error('keepOver is not offered');
    },
    async finalizeVersion(input) {
      if (record.failFinalize) throw new Error('the branch is protected');
      await inner.finalizeVersion?.(input);
    },
  });
  return { backend, record };
}

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

afterAll(() => {
  trace.disable();
  context.disable();
});

/** The error a promise rejects with (it must reject). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  expect(outcome.rejected, 'the call should have been refused').toBe(true);
  return outcome.rejected ? outcome.error : undefined;
}

describeEachDatabase('the versions contract', (database) => {
  let storage: ReturnType<typeof createRecordingStorage>;
  const engine = useEngine(database, {
    storage: () => {
      storage = createRecordingStorage();
      return [storage.backend];
    },
    providers: () => [createStaticProvider(), createStaticProvider({ name: 'second' })],
  });
  beforeEach(() => exporter.reset());

  async function projectWithVersion1(files: Array<{ path: string; content: string }> = sampleFiles()) {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Shop' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files, message: 'first' });
    return { project, v1 };
  }

  it('records the writer as the version’s creator and as the commit author given to storage', async () => {
    const { scope, vector, organizationId } = engine();
    const { v1 } = await projectWithVersion1();
    expect(v1.createdBy).toBe('user:user-1');
    expect(storage.record.saves[0]?.author).toEqual({ name: 'user:user-1', email: 'user.user-1@users.vector.invalid' });
    expect(storage.record.saves[0]).toMatchObject({ message: 'first', parentRef: null });
    // Characters an email cannot hold become underscores.
    const odd = vector.scope({ organizationId, actor: { type: 'api_key', id: 'key 7/ü' } });
    const project = await odd.projects.create({ name: 'Odd' });
    const version = await odd.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'by key' });
    expect(version.createdBy).toBe('api_key:key 7/ü');
    expect(storage.record.saves.at(-1)?.author).toEqual({ name: 'api_key:key 7/ü', email: 'api_key.key_7__@users.vector.invalid' });
    expect(scope).toBeDefined();
  });

  it('audits a new version as version.create and a rollback as version.rollback, with its number, source and restored version', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'new.txt', content: 'new' }], message: 'second' });
    const created = (await scope.audit.list({ action: 'version.create', projectId: project.id })).items;
    expect(created.map((entry) => ({ entityType: entry.entityType, entityId: entry.entityId, beforeId: entry.beforeId, afterId: entry.afterId, data: entry.data }))).toEqual([
      { entityType: 'version', entityId: v2.id, beforeId: v1.id, afterId: v2.id, data: { number: 2, source: 'manual' } },
      { entityType: 'version', entityId: v1.id, beforeId: null, afterId: v1.id, data: { number: 1, source: 'manual' } },
    ]);
    const v3 = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    const rolledBack = (await scope.audit.list({ action: 'version.rollback', projectId: project.id })).items;
    expect(rolledBack).toHaveLength(1);
    expect(rolledBack[0]).toMatchObject({ entityType: 'version', entityId: v3.id, beforeId: v2.id, afterId: v3.id, data: { number: 3, source: 'rollback', restoredFromId: v1.id } });
    expect((await scope.audit.list({ action: 'version.create', projectId: project.id })).items).toHaveLength(2);
  });

  it('announces each new version once it is committed, as version.created', async () => {
    const { scope, vector, organizationId } = engine();
    const announced: Array<{ organizationId: string; projectId: string; id: string; number: number }> = [];
    vector.events.on('version.created', (payload) => announced.push({ organizationId: payload.organizationId, projectId: payload.projectId, id: payload.version.id, number: payload.version.number }));
    const { project, v1 } = await projectWithVersion1();
    expect(announced).toEqual([{ organizationId, projectId: project.id, id: v1.id, number: 1 }]);
    await failure(scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('other'), message: 'stale' }));
    expect(announced).toHaveLength(1);
  });

  it('reports a stale write as a conflict naming both versions, before saving anything to storage', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.txt', content: 'a' }], message: 'second' });
    const saves = storage.record.saves.length;

    const stale = await failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'b.txt', content: 'b' }], message: 'stale' }));
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).details).toEqual({ projectId: project.id, expectedParentVersionId: v1.id, currentVersionId: v2.id });
    expect((stale as ConflictError).message).toBe(`Project ${project.id} has moved on: the write started from version ${v1.id} but the current version is ${v2.id}. Re-read and retry.`);

    const fromNothing = await failure(scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('again'), message: 'again' }));
    expect((fromNothing as ConflictError).details).toEqual({ projectId: project.id, expectedParentVersionId: null, currentVersionId: v2.id });
    expect((fromNothing as ConflictError).message).toBe(`Project ${project.id} has moved on: the write started from version (none) but the current version is ${v2.id}. Re-read and retry.`);

    const empty = await scope.projects.create({ name: 'Empty' });
    const noCurrent = await failure(scope.versions.create({ projectId: empty.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.txt', content: 'a' }], message: 'wrong project' }));
    expect((noCurrent as ConflictError).details).toEqual({ projectId: empty.id, expectedParentVersionId: v1.id, currentVersionId: null });
    expect((noCurrent as ConflictError).message).toBe(`Project ${empty.id} has moved on: the write started from version ${v1.id} but the current version is (none). Re-read and retry.`);
    // None of the refused writes reached storage.
    expect(storage.record.saves).toHaveLength(saves);
  });

  it('refuses a write from a stale parent as a conflict, whatever its changes would do to that parent', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.txt', content: 'a' }], message: 'second' });
    const [index] = sampleFiles();
    // Writing v1's own content back (nothing to save on v1), and deleting one of v1's files.
    const same = await failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', ...index! }], message: 'same' }));
    expect(same).toBeInstanceOf(ConflictError);
    const deleting = await failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'delete', path: 'index.html' }], message: 'delete' }));
    expect(deleting).toBeInstanceOf(ConflictError);
  });

  it('compares content only for writes that keep a parent file’s size, and saves when any one of them differs', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1([
      { path: 'a.txt', content: 'aaaa' },
      { path: 'b.txt', content: 'bbbb' },
    ]);
    storage.record.reads = [];
    // Sizes differ: nothing is read.
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.txt', content: 'longer' }], message: 'grow' });
    expect(storage.record.reads).toEqual([]);
    // An empty change set is refused without reading anything.
    await failure(scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [], message: 'nothing' }));
    expect(storage.record.reads).toEqual([]);
    // Same sizes: the files are read; one equal and one different is still a change.
    const v3 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: v2.id,
      changes: [
        { type: 'write', path: 'a.txt', content: 'longer' },
        { type: 'write', path: 'b.txt', content: 'BBBB' },
      ],
      message: 'one differs',
    });
    expect(storage.record.reads).toEqual([['a.txt', 'b.txt']]);
    expect(decodeText((await scope.versions.getFile(v3.id, 'b.txt')).content)).toBe('BBBB');
    expect(decodeText((await scope.versions.getFile(v3.id, 'a.txt')).content)).toBe('longer');
  });

  it('blames the first change for a file/directory clash it alone makes', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1([{ path: 'notes', content: 'a file' }]);
    const error = await failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'notes/today.md', content: 'x' }], message: 'clash' }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(['changes', 0, 'path']);
  });

  it('traces a write as vector.version.write around vector.storage.saveVersion, with the version’s ids and counts', async () => {
    const { organizationId } = engine();
    const { project, v1 } = await projectWithVersion1();
    const spans = exporter.getFinishedSpans();
    const write = spans.find((span) => span.name === 'vector.version.write');
    expect(write?.attributes).toEqual({
      'vector.project.id': project.id,
      'vector.organization.id': organizationId,
      'vector.version.source': 'manual',
      'vector.version.id': v1.id,
      'vector.version.number': 1,
      'vector.version.file_count': 3,
    });
    const save = spans.find((span) => span.name === 'vector.storage.saveVersion');
    expect(save?.attributes).toEqual({ 'vector.storage.backend': 'recording', 'vector.project.id': project.id, 'vector.storage.change_count': 3 });
    expect(save?.parentSpanContext?.spanId).toBe(write?.spanContext().spanId);
  });

  it('keeps a version whose storage could not publish it, and warns naming the version and the backend’s reason', async () => {
    const { scope, vector } = engine();
    const warnings: Array<{ code: string; message: string }> = [];
    vector.events.on('warning', (event) => warnings.push({ code: event.code, message: event.message }));
    storage.record.failFinalize = true;
    const { project, v1 } = await projectWithVersion1();
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(v1.id);
    expect(warnings).toEqual([{ code: 'STORAGE_FINALIZE_FAILED', message: expect.stringContaining('Version 1 is saved, but recording could not publish it: ') }]);
    expect(warnings[0]?.message).toContain('the branch is protected');
  });

  it('names the input it refuses: version id, version, paths, path, diff, rollback and publish', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const messageOf = async (promise: Promise<unknown>) => {
      const error = await failure(promise);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).message;
    };
    expect(await messageOf(scope.versions.get(''))).toMatch(/^Invalid version id: /);
    expect(await messageOf(scope.versions.listFiles(''))).toMatch(/^Invalid version id: /);
    expect(await messageOf(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, message: '' } as never))).toMatch(/^Invalid version( at |: )/);
    expect(await messageOf(scope.versions.getFiles(v1.id, 'index.html' as never))).toMatch(/^Invalid paths: /);
    expect(await messageOf(scope.versions.getFile(v1.id, 7 as never))).toMatch(/^Invalid path: /);
    expect(await messageOf(scope.versions.diff({ toVersionId: 7 } as never))).toMatch(/^Invalid diff at /);
    expect(await messageOf(scope.versions.rollback({ projectId: project.id } as never))).toMatch(/^Invalid rollback at /);
    expect(await messageOf(scope.versions.publish({ projectId: project.id } as never))).toMatch(/^Invalid publish at /);
  });

  it('reports unknown versions and files as not found, naming the entity', async () => {
    const { scope, otherScope } = engine();
    const { v1 } = await projectWithVersion1();
    const missing = await failure(scope.versions.get('no-such-version'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).details).toEqual({ entity: 'version', id: 'no-such-version' });
    const file = await failure(scope.versions.getFile(v1.id, 'missing.txt'));
    expect((file as NotFoundError).details).toEqual({ entity: 'file', id: 'missing.txt' });
    // A listing kept in memory is still refused to another organization, as a version not found.
    await scope.versions.listFiles(v1.id);
    const hidden = await failure(otherScope.versions.listFiles(v1.id));
    expect((hidden as NotFoundError).details).toEqual({ entity: 'version', id: v1.id });
  });

  it('reads a version’s listing from storage once, and every file when no paths are given', async () => {
    const { scope } = engine();
    const { v1 } = await projectWithVersion1();
    const before = storage.record.listings;
    const first = await scope.versions.listFiles(v1.id);
    const second = await scope.versions.listFiles(v1.id);
    expect(second).toEqual(first);
    expect(storage.record.listings - before).toBeLessThanOrEqual(1);
    const all = await scope.versions.getFiles(v1.id);
    expect(all.map((file) => file.path).sort()).toEqual(['index.html', 'package.json', 'src/main.js']);
  });

  it('refuses a diff between versions of two projects, naming fromVersionId', async () => {
    const { scope } = engine();
    const { v1 } = await projectWithVersion1();
    const { v1: other } = await projectWithVersion1(sampleFiles('other'));
    const error = await failure(scope.versions.diff({ fromVersionId: v1.id, toVersionId: other.id }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe('Both versions of a diff must belong to the same project');
    expect((error as ValidationError).issues).toEqual([{ path: ['fromVersionId'], message: 'other project' }]);
  });

  it('rolls back by rewriting only the files that differ, with a default message naming the target', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1(sampleFiles('one'));
    const v2 = await scope.versions.create({
      projectId: project.id,
      parentVersionId: v1.id,
      changes: [
        { type: 'write', path: 'src/main.js', content: 'console.log("two");\n' },
        { type: 'write', path: 'extra.txt', content: 'x' },
      ],
      message: 'second',
    });
    storage.record.saves = [];
    storage.record.reads = [];
    const v3 = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    expect(v3.message).toBe('Roll back to version 1');
    expect(storage.record.reads).toEqual([['src/main.js']]);
    expect(storage.record.saves).toHaveLength(1);
    expect(storage.record.saves[0]?.changes.map((change) => `${change.type} ${change.path}`)).toEqual(['write src/main.js', 'delete extra.txt']);
    expect(await scope.versions.diff({ fromVersionId: v1.id, toVersionId: v3.id })).toEqual([]);
    // Back to files equal to the current ones: nothing is read, nothing changes.
    storage.record.saves = [];
    storage.record.reads = [];
    const v4 = await scope.versions.rollback({ projectId: project.id, targetVersionId: v3.id, message: 'again' });
    expect(v4.message).toBe('again');
    expect(storage.record.reads).toEqual([]);
    expect(storage.record.saves[0]?.changes).toEqual([]);
    expect(v2.number).toBe(2);
  });

  it('refuses a rollback to another project’s version, or from a current version that moved, saying which', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const { v1: foreign } = await projectWithVersion1(sampleFiles('other'));
    const other = await failure(scope.versions.rollback({ projectId: project.id, targetVersionId: foreign.id }));
    expect(other).toBeInstanceOf(NotFoundError);
    expect((other as NotFoundError).details).toEqual({ entity: 'version', id: foreign.id });

    const moved = await failure(scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id, expectedCurrentVersionId: 'some-other-version' }));
    expect(moved).toBeInstanceOf(ConflictError);
    expect((moved as ConflictError).message).toBe(`Project ${project.id} has moved on: expected current version some-other-version, found ${v1.id}`);
    expect((moved as ConflictError).details).toEqual({ projectId: project.id, expectedCurrentVersionId: 'some-other-version', currentVersionId: v1.id });

    const empty = await scope.projects.create({ name: 'Empty' });
    const emptyFailure = await failure(scope.versions.rollback({ projectId: empty.id, targetVersionId: v1.id, expectedCurrentVersionId: v1.id }));
    expect(emptyFailure).toBeInstanceOf(NotFoundError);
    expect((await scope.versions.list(project.id)).items).toHaveLength(1);
  });

  it('refuses a rollback with data to a version never published, saying so on includeData', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const error = await failure(scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id, includeData: true }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe('Version 1 was never published, so there is no data state to roll back to; roll back the code alone (includeData: false) or pick a published version');
    expect((error as ValidationError).issues).toEqual([{ path: ['includeData'], message: 'the target version was never published' }]);
    expect((await scope.versions.list(project.id)).items).toHaveLength(1);
  });

  it('publishes the new version of a rollback with data, audited as version.publish of the project', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    await scope.versions.publish({ projectId: project.id, versionId: v1.id });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.txt', content: 'a' }], message: 'second' });
    await scope.versions.publish({ projectId: project.id, versionId: v2.id });
    const v3 = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id, includeData: true });
    expect((await scope.projects.get(project.id)).publishedVersionId).toBe(v3.id);
    const published = (await scope.audit.list({ action: 'version.publish', projectId: project.id })).items;
    expect(published.map((entry) => ({ entityType: entry.entityType, entityId: entry.entityId, beforeId: entry.beforeId, afterId: entry.afterId }))).toEqual([
      { entityType: 'project', entityId: project.id, beforeId: v2.id, afterId: v3.id },
      { entityType: 'project', entityId: project.id, beforeId: v1.id, afterId: v2.id },
      { entityType: 'project', entityId: project.id, beforeId: null, afterId: v1.id },
    ]);
  });

  it('publishes a version: stored on the project, audited and announced as project.updated', async () => {
    const { scope, vector, organizationId } = engine();
    const { project, v1 } = await projectWithVersion1();
    const updates: Array<{ organizationId: string; projectId: string; publishedVersionId: string | null }> = [];
    vector.events.on('project.updated', (payload) => updates.push({ organizationId: payload.organizationId, projectId: payload.projectId, publishedVersionId: payload.project.publishedVersionId }));
    const { project: published } = await scope.versions.publish({ projectId: project.id, versionId: v1.id });
    expect(published.publishedVersionId).toBe(v1.id);
    expect((await scope.projects.get(project.id)).publishedVersionId).toBe(v1.id);
    expect(updates).toEqual([{ organizationId, projectId: project.id, publishedVersionId: v1.id }]);
    const audit = (await scope.audit.list({ action: 'version.publish', projectId: project.id })).items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ entityType: 'project', entityId: project.id, beforeId: null, afterId: v1.id });
  });

  it('refuses to publish another project’s version, and leaves that project unpublished', async () => {
    const { scope } = engine();
    const { v1 } = await projectWithVersion1();
    const { project: other } = await projectWithVersion1(sampleFiles('other'));
    const error = await failure(scope.versions.publish({ projectId: other.id, versionId: v1.id }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).details).toEqual({ entity: 'version', id: v1.id });
    expect((await scope.projects.get(other.id)).publishedVersionId).toBeNull();
  });

  it('deploys a published version with the provider, env and secrets given', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const { deployment } = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: { provider: 'second', env: { MODE: 'live' }, secrets: { TOKEN: 'hidden' } } });
    expect(deployment).toMatchObject({ provider: 'second', environment: 'production', versionId: v1.id, projectId: project.id });
    const audit = (await scope.audit.list({ action: 'deployment.create', projectId: project.id })).items;
    expect(audit[0]?.data).toMatchObject({ provider: 'second', envKeys: ['MODE'], secretKeys: ['TOKEN'] });
    // Without options: the default provider, no env, no secrets.
    const { deployment: plain } = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    expect(plain).toMatchObject({ provider: 'static', environment: 'production' });
  });
  it('reports a storage that cannot change outside Vector as unsupported, with no conflict to settle', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const result = await scope.versions.list(project.id);
    expect(result.items.map((version) => version.id)).toEqual([v1.id]);
    const synced = await scope.projects.syncStorage(project.id);
    expect(synced).toMatchObject({ status: 'unsupported', version: null });
    const error = await failure(scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'external' }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(`Project ${project.id} has no storage conflict to settle`);
  });
  it('reports a project deleted while its new version was being saved as a project not found', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    storage.record.afterListingOf = { except: v1.storageRef, run: () => scope.projects.delete(project.id) };
    const error = await failure(scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'late.txt', content: 'late' }], message: 'late' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).details).toEqual({ entity: 'project', id: project.id });
  });
});
