import { decodeText, type VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createInternalStorage } from '../src/index.js';
import { author, newProject, write } from './storage-helpers.js';

describeEachDatabase('internal storage read cache', (database) => {
  let connection: VectorDatabaseConnection;
  beforeEach(async () => {
    connection = await database.create();
  });
  afterEach(async () => {
    await connection.destroy();
  });

  // Objects are immutable, so once read they are served from memory; with the cache off,
  // every read goes to the database (shown here by removing the rows underneath).
  it('serves repeated reads from memory, and only when enabled', async () => {
    for (const cacheBytes of [64 * 1024 * 1024, 0]) {
      const storage = createInternalStorage({ database: connection, cacheBytes });
      const project = newProject();
      const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('src/a.ts', 'export const a = 1;\n')], message: 'v1', author });
      const first = await storage.getFiles({ project, ref });
      first[0]?.content.fill(0); // a caller mutating its copy must not reach the cache
      await connection.db.deleteFrom('vector_storage_objects').where('project_id', '=', project.id).execute();
      const again = storage.getFiles({ project, ref });
      if (cacheBytes > 0) expect(decodeText((await again)[0]?.content as Uint8Array)).toBe('export const a = 1;\n');
      else await expect(again).rejects.toMatchObject({ code: 'INTERNAL' });
    }
  });
});
