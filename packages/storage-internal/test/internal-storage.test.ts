import { randomBytes } from 'node:crypto';
import { decodeText, LimitExceededError, NotFoundError, sha256Hex, ValidationError, type VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalStorage, type InternalStorage } from '../src/index.js';
import { author, countRows, newProject, rejectionOf, write } from './storage-helpers.js';

describeEachDatabase('internal storage', (database) => {
  let connection: VectorDatabaseConnection;
  let storage: InternalStorage;
  beforeAll(async () => {
    connection = await database.create();
    storage = createInternalStorage({ database: connection });
    await storage.init();
  });
  afterAll(async () => {
    await connection.destroy();
  });

  describe('writes', () => {
    it('writes O(k) rows for a version changing k of 300 files', async () => {
      const project = newProject();
      const files = Array.from({ length: 300 }, (_, index) => write(`src/module-${index % 12}/file-${index}.ts`, `export const value${index} = ${index};\n`));
      const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: files, message: 'v1', author });
      // 300 blobs + 12 module trees + src + root.
      expect(await countRows(connection, project.id)).toMatchObject({ objects: 300 + 12 + 2, versions: 1 });

      // Five files in five different modules: 5 blobs, 5 module trees, src and the root.
      const changes = [0, 1, 2, 3, 4].map((module) => write(`src/module-${module}/file-${module}.ts`, `export const changed${module} = true;\n`));
      const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes, message: 'v2', author });
      expect(await countRows(connection, project.id)).toMatchObject({ objects: 314 + 5 + 5 + 2, versions: 2 });

      // Same k in a project twice the size costs the same number of rows.
      const more = Array.from({ length: 300 }, (_, index) => write(`lib/extra-${index}.ts`, `export const extra${index} = ${index};\n`));
      const { ref: v3 } = await storage.saveVersion({ project, parentRef: v2, changes: more, message: 'v3', author });
      const before = await countRows(connection, project.id);
      await storage.saveVersion({ project, parentRef: v3, changes: changes.map((change, index) => ({ ...change, content: new TextEncoder().encode(`again ${index}`) })), message: 'v4', author });
      expect((await countRows(connection, project.id)).objects - before.objects).toBe(5 + 5 + 2);
      expect(await storage.listFiles({ project, ref: v3 })).toHaveLength(600);
    });

    it('stores identical content once, across paths and versions', async () => {
      const project = newProject();
      const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'same'), write('dir/b.txt', 'same')], message: 'v1', author });
      await storage.saveVersion({ project, parentRef: v1, changes: [write('c.txt', 'same')], message: 'v2', author });
      const blobs = await connection.db.selectFrom('vector_storage_objects').select('hash').where('project_id', '=', project.id).where('hash', '=', sha256Hex('same')).execute();
      expect(blobs).toHaveLength(1);
    });

    it('compresses text and keeps incompressible binary as is', async () => {
      const project = newProject();
      const text = 'export const line = "a fairly repetitive line of code";\n'.repeat(500);
      const noise = randomBytes(64 * 1024);
      await storage.saveVersion({ project, parentRef: null, changes: [write('big.ts', text), write('noise.bin', noise)], message: 'v1', author });
      const rows = await connection.db.selectFrom('vector_storage_objects').select(['hash', 'size', 'stored_bytes', 'compression']).where('project_id', '=', project.id).execute();
      const textRow = rows.find((row) => row.hash === sha256Hex(text));
      const noiseRow = rows.find((row) => row.hash === sha256Hex(noise));
      expect(Number(textRow?.stored_bytes)).toBeLessThan(text.length / 10);
      expect(noiseRow).toMatchObject({ compression: 0, size: noise.byteLength, stored_bytes: noise.byteLength });
    });

    it('round-trips binary content byte for byte, with sha256 hashes in listings', async () => {
      const project = newProject();
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]), randomBytes(300_000)]);
      const font = new Uint8Array(70_000).map((_, index) => (index % 7 === 0 ? 0 : index % 251));
      const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('public/logo.png', png), write('fonts/inter.woff2', font)], message: 'v1', author });
      const files = await storage.getFiles({ project, ref });
      expect(files.map((file) => file.path)).toEqual(['fonts/inter.woff2', 'public/logo.png']);
      expect(Buffer.from(files[0]?.content ?? []).equals(Buffer.from(font))).toBe(true);
      expect(Buffer.from(files[1]?.content ?? []).equals(png)).toBe(true);
      expect(files[1]?.content.constructor).toBe(Uint8Array);
      expect(await storage.listFiles({ project, ref })).toEqual([
        { path: 'fonts/inter.woff2', size: font.byteLength, hash: sha256Hex(font) },
        { path: 'public/logo.png', size: png.byteLength, hash: sha256Hex(png) },
      ]);
    });

    it('normalises paths and prunes directories emptied by deletes', async () => {
      const project = newProject();
      const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [write('./src//a.ts', 'a'), write('src/deep/b.ts', 'b')], message: 'v1', author });
      expect((await storage.listFiles({ project, ref: v1 })).map((entry) => entry.path)).toEqual(['src/a.ts', 'src/deep/b.ts']);
      const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes: [{ type: 'delete', path: 'src/deep/b.ts' }, { type: 'delete', path: 'not/there.ts' }], message: 'v2', author });
      expect((await storage.listFiles({ project, ref: v2 })).map((entry) => entry.path)).toEqual(['src/a.ts']);
      // With `deep` gone, a file may take its name.
      const { ref: v3 } = await storage.saveVersion({ project, parentRef: v2, changes: [write('src/deep', 'now a file')], message: 'v3', author });
      const diff = await storage.diffVersions({ project, fromRef: v1, toRef: v3 });
      expect(diff.map((entry) => [entry.path, entry.status])).toEqual([
        ['src/deep', 'added'],
        ['src/deep/b.ts', 'deleted'],
      ]);
    });

    it('applies changes in order, last write wins, and saves an empty version', async () => {
      const project = newProject();
      const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'first'), write('a.txt', 'second'), write('b.txt', 'b'), { type: 'delete', path: 'b.txt' }], message: 'v1', author });
      const files = await storage.getFiles({ project, ref: v1 });
      expect(files.map((file) => [file.path, decodeText(file.content)])).toEqual([['a.txt', 'second']]);
      // The overwritten first write never reaches the store.
      expect(await connection.db.selectFrom('vector_storage_objects').select('hash').where('hash', '=', sha256Hex('first')).where('project_id', '=', project.id).execute()).toEqual([]);
      const { ref: empty } = await storage.saveVersion({ project, parentRef: v1, changes: [{ type: 'delete', path: 'a.txt' }], message: 'empty', author });
      expect(await storage.getFiles({ project, ref: empty })).toEqual([]);
      expect((await storage.diffVersions({ project, fromRef: v1, toRef: empty })).map((entry) => entry.status)).toEqual(['deleted']);
    });
  });

  describe('rejections', () => {
    it('rejects traversal, absolute and NUL paths with ValidationError naming the change, writing nothing', async () => {
      const project = newProject();
      for (const path of ['../etc/passwd', 'a/../../b', '/etc/passwd', 'C:/windows', 'a\u0000b', 'a\\b', '', 'x'.repeat(1025)]) {
        const error = await rejectionOf(storage.saveVersion({ project, parentRef: null, changes: [write('ok.txt', 'ok'), write(path, 'bad')], message: 'bad', author }));
        expect(error, JSON.stringify(path)).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]?.path).toEqual(['changes', 1, 'path']);
      }
      expect(await countRows(connection, project.id)).toMatchObject({ objects: 0, versions: 0 });
    });

    it('rejects oversize content with LimitExceededError before writing anything', async () => {
      const small = createInternalStorage({ database: connection, maxFileBytes: 1000 });
      const project = newProject();
      await small.saveVersion({ project, parentRef: null, changes: [write('exact.bin', new Uint8Array(1000))], message: 'at the limit', author });
      const before = await countRows(connection, project.id);
      const error = await rejectionOf(small.saveVersion({ project, parentRef: null, changes: [write('ok.txt', 'ok'), write('big.bin', new Uint8Array(1001))], message: 'too big', author }));
      expect(error).toBeInstanceOf(LimitExceededError);
      expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'file_size', details: { path: 'big.bin', size: 1001, maxFileBytes: 1000 } });
      expect(await countRows(connection, project.id)).toEqual(before);
    });

    it('rejects a file where a directory is, and a directory where a file is', async () => {
      const project = newProject();
      const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('src/app.ts', 'x')], message: 'v1', author });
      await expect(storage.saveVersion({ project, parentRef: ref, changes: [write('src', 'file over dir')], message: 'bad', author })).rejects.toBeInstanceOf(ValidationError);
      await expect(storage.saveVersion({ project, parentRef: ref, changes: [write('src/app.ts/inner.ts', 'dir over file')], message: 'bad', author })).rejects.toBeInstanceOf(ValidationError);
    });

    it('rejects invalid options with ValidationError', () => {
      expect(() => createInternalStorage({ database: connection, maxFileBytes: 0 })).toThrow(ValidationError);
      expect(() => createInternalStorage({ database: connection, maxFileBytes: 2 ** 40 })).toThrow(ValidationError);
      expect(() => createInternalStorage({ database: {} as VectorDatabaseConnection })).toThrow(ValidationError);
      expect(() => createInternalStorage({ database: connection, name: 'Not Kebab' })).toThrow(ValidationError);
    });

    it('keeps projects apart: a ref is unknown to every other project', async () => {
      const owner = newProject();
      const other = newProject();
      const { ref } = await storage.saveVersion({ project: owner, parentRef: null, changes: [write('secret.txt', 'owner only')], message: 'v1', author });
      await expect(storage.getFiles({ project: other, ref })).rejects.toBeInstanceOf(NotFoundError);
      await expect(storage.listFiles({ project: other, ref })).rejects.toBeInstanceOf(NotFoundError);
      await expect(storage.saveVersion({ project: other, parentRef: ref, changes: [], message: 'steal', author })).rejects.toBeInstanceOf(NotFoundError);
      await expect(storage.getFiles({ project: owner, ref: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'NOT_FOUND', entity: 'version' });
    });

    it('honours an aborted signal with CancelledError and writes nothing', async () => {
      const project = newProject();
      const controller = new AbortController();
      controller.abort();
      await expect(storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'a')], message: 'v1', author, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(await countRows(connection, project.id)).toMatchObject({ objects: 0, versions: 0 });
    });
  });

  describe('projects and migrations', () => {
    it('deletes one project completely and leaves the others alone', async () => {
      const doomed = newProject();
      const kept = newProject();
      await storage.saveVersion({ project: doomed, parentRef: null, changes: [write('a.txt', 'shared content')], message: 'v1', author });
      const { ref } = await storage.saveVersion({ project: kept, parentRef: null, changes: [write('a.txt', 'shared content')], message: 'v1', author });
      await storage.deleteProject({ project: doomed });
      await storage.deleteProject({ project: doomed });
      expect(await countRows(connection, doomed.id)).toEqual({ objects: 0, versions: 0, storedBytes: 0 });
      expect((await storage.getFiles({ project: kept, ref })).map((file) => decodeText(file.content))).toEqual(['shared content']);
    });

    it('migrates idempotently, from several instances at once', async () => {
      await Promise.all([0, 1, 2].map(() => createInternalStorage({ database: connection }).init()));
      const fresh = createInternalStorage({ database: connection });
      const project = newProject();
      // Methods wait for the migration themselves when init() was not called.
      const { ref } = await fresh.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'a')], message: 'v1', author });
      expect(await fresh.listFiles({ project, ref })).toHaveLength(1);
    });
  });
});
