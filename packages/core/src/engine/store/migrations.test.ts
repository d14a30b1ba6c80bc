import type { Kysely } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import type { VectorDatabaseConnection } from '../../db/create-database.js';
import { runMigrations } from '../../db/run-migrations.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import type { CoreDatabase } from './database-schema.js';
import { coreMigrations, migrateCoreTables } from './migrations.js';

describeEachDatabase('core migrations', (database) => {
  let connection: VectorDatabaseConnection | null = null;
  afterEach(async () => {
    await connection?.destroy();
    connection = null;
  });

  it('0002 adds validation_check and generation_status, backfilling agent versions', async () => {
    connection = await database.create();
    const first = coreMigrations['0001_core'];
    if (!first) throw new Error('0001_core is missing');
    await runMigrations(connection, { name: 'vector', migrations: { '0001_core': first } });
    // Rows as 0001 knew them.
    const db = connection.db;
    const now = new Date().toISOString();
    await db.insertInto('vector_organizations').values({ id: 'org', name: 'Acme', slug: 'acme', created_at: now, updated_at: now }).execute();
    await db
      .insertInto('vector_projects')
      .values({ id: 'p', organization_id: 'org', name: 'App', description: '', storage_backend: 'memory', settings: '{}', created_at: now, updated_at: now })
      .execute();
    const old: Array<[string, string, string]> = [
      ['manual', 'manual', 'not_run'],
      ['agent-passed', 'ai_generation', 'passed'],
      ['agent-failed', 'ai_generation', 'failed'],
      ['agent-not-run', 'ai_generation', 'not_run'],
      ['rollback', 'rollback', 'failed'],
    ];
    await db
      .insertInto('vector_code_versions')
      .values(old.map(([id, source, validationStatus], index) => ({ id, project_id: 'p', organization_id: 'org', number: index + 1, storage_ref: id, message: id, source, validation_status: validationStatus, file_count: 1, created_by: 'user:u', created_at: now })))
      .execute();

    await migrateCoreTables(connection);
    const typed = connection.db as Kysely<CoreDatabase>;
    const rows = await typed.selectFrom('vector_code_versions').select(['id', 'validation_check', 'generation_status']).orderBy('number').execute();
    expect(rows).toEqual([
      { id: 'manual', validation_check: null, generation_status: 'not_applicable' },
      { id: 'agent-passed', validation_check: null, generation_status: 'completed' },
      { id: 'agent-failed', validation_check: null, generation_status: 'incomplete' },
      { id: 'agent-not-run', validation_check: null, generation_status: 'completed' },
      { id: 'rollback', validation_check: null, generation_status: 'not_applicable' },
    ]);
    // Rows that name neither column get the defaults.
    await db
      .insertInto('vector_code_versions')
      .values({ id: 'later', project_id: 'p', organization_id: 'org', number: 6, storage_ref: 'later', message: 'later', source: 'manual', validation_status: 'not_run', file_count: 1, created_by: 'user:u', created_at: now })
      .execute();
    expect(await typed.selectFrom('vector_code_versions').select(['validation_check', 'generation_status']).where('id', '=', 'later').executeTakeFirst()).toEqual({ validation_check: null, generation_status: 'not_applicable' });
  });
});

describeEachDatabase('core migrations, when a schema vanishes meanwhile', (database) => {
  it('tries again after invalid_schema_name (3F000), as when a parallel tenant or test drops its schema', async () => {
    const connection = await database.create();
    try {
      // The second statement (the first of the migrator's own looks) fails the way PostgreSQL does
      // when another schema is dropped while every schema's tables are listed.
      let statements = 0;
      const flaky = connection.db.withPlugin({
        transformQuery(args) {
          statements += 1;
          if (statements === 2) throw Object.assign(new Error('schema "gone" does not exist'), { code: '3F000' });
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      await runMigrations({ db: flaky, dialect: connection.dialect }, { name: 'vector', migrations: coreMigrations });
      expect(statements).toBeGreaterThan(2);
      // Every migration ran once.
      const applied = await connection.db.selectFrom('vector_migration' as never).select('name' as never).execute();
      expect(applied.map((row) => (row as { name: string }).name)).toEqual(Object.keys(coreMigrations).sort());
    } finally {
      await connection.destroy();
    }
  });
});
