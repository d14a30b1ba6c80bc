import pg from 'pg';

/** Drops PostgreSQL schemas a test made, each with the pg-boss schema beside it (`<schema>_pgboss`). */
export async function dropSchemas(connectionString: string, schemas: readonly string[]): Promise<void> {
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  try {
    for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade; drop schema if exists "${schema}_pgboss" cascade`);
  } finally {
    await admin.end();
  }
}
