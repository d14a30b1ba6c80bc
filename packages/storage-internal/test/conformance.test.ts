import type { VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase, storageBackendConformance } from '@vector/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { createInternalStorage } from '../src/index.js';

describeEachDatabase('internal storage', (database) => {
  let connection: VectorDatabaseConnection;
  beforeAll(async () => {
    connection = await database.create();
  });
  afterAll(async () => {
    await connection.destroy();
  });

  // Each conformance test gets a fresh backend and a random project in the shared database.
  storageBackendConformance({ name: 'internal (defaults)', create: async () => ({ backend: createInternalStorage({ database: connection }) }) });
  storageBackendConformance({
    name: 'internal (uncompressed, 1 KiB limit)',
    create: async () => ({ backend: createInternalStorage({ database: connection, name: 'internal-small', compression: false, maxFileBytes: 1024 }) }),
  });
});
