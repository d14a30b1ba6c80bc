import { decodeText, sha256Hex, type VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { InsertQueryNode, type KyselyPlugin, PrimitiveValueListNode, ValueListNode, ValueNode, ValuesNode } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInternalStorage } from '../src/index.js';
import { author, newProject, write } from './storage-helpers.js';

/**
 * The connection with a Kysely plugin that records the hash of every row an INSERT into
 * `vector_storage_objects` carries, whatever the database then does with it (the primary key
 * would quietly fold duplicates into one row, so counting rows cannot tell).
 */
function recordObjectInserts(connection: VectorDatabaseConnection) {
  const hashes: string[] = [];
  const plugin: KyselyPlugin = {
    transformQuery({ node }) {
      if (InsertQueryNode.is(node) && node.into?.table.identifier.name === 'vector_storage_objects' && node.values && ValuesNode.is(node.values)) {
        const column = (node.columns ?? []).findIndex((each) => each.column.name === 'hash');
        for (const row of node.values.values) {
          const value = PrimitiveValueListNode.is(row) ? row.values[column] : ValueListNode.is(row) && row.values[column] && ValueNode.is(row.values[column]) ? row.values[column].value : undefined;
          hashes.push(String(value));
        }
      }
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  return { connection: { ...connection, db: connection.db.withPlugin(plugin) }, hashes };
}

describeEachDatabase('internal storage deduplication', (database) => {
  let connection: VectorDatabaseConnection;
  beforeAll(async () => {
    connection = await database.create();
    await createInternalStorage({ database: connection }).init();
  });
  afterAll(async () => {
    await connection.destroy();
  });

  const objectRows = (projectId: string, hash: string) =>
    connection.db.selectFrom('vector_storage_objects').select(['hash', 'size', 'stored_bytes', 'compression', 'data', 'touched_at']).where('project_id', '=', projectId).where('hash', '=', hash).execute();

  it('sends content that several paths share once per save, and stores it once', async () => {
    const recorder = recordObjectInserts(connection);
    const storage = createInternalStorage({ database: recorder.connection });
    const project = newProject();
    const shared = 'export const shared = true;\n';
    const { ref } = await storage.saveVersion({
      project,
      parentRef: null,
      changes: [write('a.ts', shared), write('lib/b.ts', shared), write('lib/deep/c.ts', shared), write('other.ts', 'export const other = 1;\n')],
      message: 'v1',
      author,
    });
    // The plugin saw the save's object inserts (so it is watching), and the shared content in only one row of them.
    expect(recorder.hashes).toContain(sha256Hex('export const other = 1;\n'));
    expect(recorder.hashes.filter((hash) => hash === sha256Hex(shared))).toHaveLength(1);
    expect(await objectRows(project.id, sha256Hex(shared))).toHaveLength(1);
    const files = await storage.getFiles({ project, ref });
    expect(files.map((file) => [file.path, decodeText(file.content)])).toEqual([
      ['a.ts', shared],
      ['lib/b.ts', shared],
      ['lib/deep/c.ts', shared],
      ['other.ts', 'export const other = 1;\n'],
    ]);
  });

  it('keeps content it already holds as first stored: a later save of the same content only marks it as in use', async () => {
    const project = newProject();
    const text = 'export const line = "a fairly repetitive line of code";\n'.repeat(200);
    const hash = sha256Hex(text);
    // Two instances on one database: the second would store the same bytes differently (uncompressed).
    const first = createInternalStorage({ database: connection, now: () => new Date(1_000) });
    const second = createInternalStorage({ database: connection, compression: false, now: () => new Date(2_000) });
    const { ref: v1 } = await first.saveVersion({ project, parentRef: null, changes: [write('big.ts', text)], message: 'v1', author });
    const [stored] = await objectRows(project.id, hash);
    expect(stored).toMatchObject({ size: text.length, compression: 1 });
    expect(Number(stored?.touched_at)).toBe(1_000);

    const { ref: v2 } = await second.saveVersion({ project, parentRef: v1, changes: [write('copy.ts', text), write('big.ts', text)], message: 'v2', author });
    const after = await objectRows(project.id, hash);
    expect(after).toHaveLength(1);
    // Not rewritten: the same encoding and bytes as the first save wrote.
    expect({ compression: after[0]?.compression, storedBytes: after[0]?.stored_bytes, data: Buffer.from(after[0]?.data ?? []) }).toEqual({
      compression: stored?.compression,
      storedBytes: stored?.stored_bytes,
      data: Buffer.from(stored?.data ?? []),
    });
    // Marked as in use by the later save, so a garbage collection that started before it keeps it.
    expect(Number(after[0]?.touched_at)).toBe(2_000);
    expect((await second.getFiles({ project, ref: v2 })).map((file) => [file.path, decodeText(file.content) === text])).toEqual([
      ['big.ts', true],
      ['copy.ts', true],
    ]);
  });
});
