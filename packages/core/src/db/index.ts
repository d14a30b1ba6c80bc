export { createNodeSqliteDatabase } from './node-sqlite-database.js';
export { createSqliteDatabase, createPostgresDatabase, type PostgresDatabaseOptions, type VectorDatabaseConnection, type SqlDialectName } from './create-database.js';
export { runMigrations, type MigrationSet } from './run-migrations.js';
