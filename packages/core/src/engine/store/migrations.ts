import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { VectorDatabaseConnection } from '../../db/create-database.js';
import { runMigrations } from '../../db/run-migrations.js';

// Migrations are code, not files on disk, so they ship inside the bundle. Never edit a
// released migration: add a new one.
/** Core's migrations by name (exported for migration tests, not from the package). */
export const coreMigrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<any>) {
      const text = 'text' as const;
      await db.schema
        .createTable('vector_organizations')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('slug', text, (c) => c.notNull().unique())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('vector_users')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('email', text, (c) => c.notNull().unique())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('vector_memberships')
        .addColumn('organization_id', text, (c) => c.notNull().references('vector_organizations.id').onDelete('cascade'))
        .addColumn('user_id', text, (c) => c.notNull().references('vector_users.id').onDelete('cascade'))
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('vector_memberships_pk', ['organization_id', 'user_id'])
        .execute();
      await db.schema
        .createTable('vector_projects')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('organization_id', text, (c) => c.notNull().references('vector_organizations.id').onDelete('cascade'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull())
        .addColumn('storage_backend', text, (c) => c.notNull())
        .addColumn('settings', text, (c) => c.notNull())
        .addColumn('current_version_id', text)
        .addColumn('published_version_id', text)
        .addColumn('version_counter', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vector_projects_org').on('vector_projects').columns(['organization_id', 'created_at']).execute();
      await db.schema
        .createTable('vector_code_versions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('parent_id', text)
        .addColumn('storage_ref', text, (c) => c.notNull())
        .addColumn('message', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('restored_from_id', text)
        .addColumn('job_id', text)
        .addColumn('validation_status', text, (c) => c.notNull())
        .addColumn('file_count', 'integer', (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addUniqueConstraint('vector_code_versions_number', ['project_id', 'number'])
        .execute();
      await db.schema
        .createTable('vector_agent_sessions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('agent_type', text, (c) => c.notNull())
        .addColumn('title', text, (c) => c.notNull())
        .addColumn('settings', text, (c) => c.notNull())
        .addColumn('message_counter', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('vector_chat_messages')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('session_id', text, (c) => c.notNull().references('vector_agent_sessions.id').onDelete('cascade'))
        .addColumn('project_id', text, (c) => c.notNull())
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('content', text, (c) => c.notNull())
        .addColumn('job_id', text)
        .addColumn('version_id', text)
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addUniqueConstraint('vector_chat_messages_position', ['session_id', 'position'])
        .execute();
      await db.schema
        .createTable('vector_agent_jobs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('session_id', text, (c) => c.notNull())
        .addColumn('message_id', text, (c) => c.notNull())
        .addColumn('agent_type', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('base_version_id', text)
        .addColumn('result_version_id', text)
        .addColumn('plan', text)
        .addColumn('error', text)
        .addColumn('max_steps', 'integer', (c) => c.notNull())
        .addColumn('max_tokens', 'integer', (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('steps', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('event_counter', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('worker_id', text)
        .addColumn('heartbeat_at', text)
        .addColumn('cancel_requested_at', text)
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('started_at', text)
        .addColumn('finished_at', text)
        .execute();
      await db.schema.createIndex('vector_agent_jobs_status').on('vector_agent_jobs').columns(['status', 'heartbeat_at']).execute();
      await db.schema
        .createTable('vector_agent_job_events')
        .addColumn('job_id', text, (c) => c.notNull().references('vector_agent_jobs.id').onDelete('cascade'))
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('data', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('vector_agent_job_events_pk', ['job_id', 'sequence'])
        .execute();
      await db.schema
        .createTable('vector_deployments')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('version_id', text, (c) => c.notNull())
        .addColumn('provider', text, (c) => c.notNull())
        .addColumn('environment', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('provider_deployment_id', text)
        .addColumn('provider_status', text)
        .addColumn('url', text)
        .addColumn('env', text, (c) => c.notNull())
        .addColumn('secret_keys', text, (c) => c.notNull())
        .addColumn('expires_at', text)
        .addColumn('idempotency_key', text)
        .addColumn('error', text)
        .addColumn('log_cursor', text)
        .addColumn('log_counter', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('poll_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_poll_at', text)
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('live_at', text)
        .addColumn('destroyed_at', text)
        .addUniqueConstraint('vector_deployments_idempotency', ['project_id', 'idempotency_key'])
        .execute();
      await db.schema.createIndex('vector_deployments_status').on('vector_deployments').columns(['status', 'next_poll_at']).execute();
      await db.schema
        .createTable('vector_deployment_logs')
        .addColumn('deployment_id', text, (c) => c.notNull().references('vector_deployments.id').onDelete('cascade'))
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('timestamp', text, (c) => c.notNull())
        .addColumn('level', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('message', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('vector_deployment_logs_pk', ['deployment_id', 'sequence'])
        .execute();
      await db.schema
        .createTable('vector_audit_logs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('project_id', text)
        .addColumn('actor_type', text, (c) => c.notNull())
        .addColumn('actor_id', text, (c) => c.notNull())
        .addColumn('action', text, (c) => c.notNull())
        .addColumn('entity_type', text, (c) => c.notNull())
        .addColumn('entity_id', text, (c) => c.notNull())
        .addColumn('before_id', text)
        .addColumn('after_id', text)
        .addColumn('data', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vector_audit_logs_org').on('vector_audit_logs').columns(['organization_id', 'created_at']).execute();
      await db.schema
        .createTable('vector_data_tables')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('columns', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addUniqueConstraint('vector_data_tables_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('vector_data_rows')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('table_id', text, (c) => c.notNull().references('vector_data_tables.id').onDelete('cascade'))
        .addColumn('project_id', text, (c) => c.notNull())
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('data', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vector_data_rows_table').on('vector_data_rows').columns(['table_id', 'created_at']).execute();
    },
  },
  // Which check produced a version's validation status, and whether an agent finished its
  // output. Versions from before are `not_applicable` unless an agent wrote them: then they
  // are `completed`, or `incomplete` when saved with a failed validation. Their check is
  // unknown (null): an agent may have validated them any way it liked.
  '0002_version_checks': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('vector_code_versions').addColumn('validation_check', 'text').execute();
      await db.schema
        .alterTable('vector_code_versions')
        .addColumn('generation_status', 'text', (c) => c.notNull().defaultTo('not_applicable'))
        .execute();
      await db
        .updateTable('vector_code_versions')
        .set((eb) => ({
          generation_status: eb.case().when('validation_status', '=', 'failed').then('incomplete').else('completed').end(),
        }))
        .where('source', '=', 'ai_generation')
        .execute();
    },
  },
  // Commits a source mirror published for versions whose storage has no git source, one per
  // (version, mirror): deploying a version again reuses its commit. The primary key makes a
  // concurrent second publish of the same version harmless (the loser re-reads the row).
  '0003_source_mirrors': {
    async up(db: Kysely<any>) {
      const text = 'text' as const;
      await db.schema
        .createTable('vector_source_mirrors')
        .addColumn('version_id', text, (c) => c.notNull().references('vector_code_versions.id').onDelete('cascade'))
        .addColumn('mirror', text, (c) => c.notNull())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('repository_url', text, (c) => c.notNull())
        .addColumn('owner', text, (c) => c.notNull())
        .addColumn('repository', text, (c) => c.notNull())
        .addColumn('branch', text, (c) => c.notNull())
        .addColumn('commit_sha', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('vector_source_mirrors_pk', ['version_id', 'mirror'])
        .execute();
      await db.schema.createIndex('vector_source_mirrors_project').on('vector_source_mirrors').columns(['project_id']).execute();
    },
  },
  // The attempt each job event belongs to, so a reader can tell a retried attempt's output from
  // the one before (events from before carry attempt 1: which attempt wrote them is unknown),
  // and a job's type, taken from the intent its agent reports (null until it reports one).
  '0004_job_attempts_and_types': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('vector_agent_job_events')
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('vector_agent_jobs').addColumn('job_type', 'text').execute();
    },
  },
  '0005_agent_steps_and_costs': {
    async up(db: Kysely<any>) {
      const text = 'text' as const;
      // US dollars: floating point (double precision on both databases); costs are reports, not ledgers.
      const money = 'double precision' as const;
      await db.schema
        .createTable('vector_agent_steps')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('job_id', text, (c) => c.notNull().references('vector_agent_jobs.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('project_id', text, (c) => c.notNull())
        .addColumn('session_id', text, (c) => c.notNull())
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('model', text)
        .addColumn('input_digest', text)
        .addColumn('output', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('error', text)
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
        .addColumn('cached_tokens', 'integer', (c) => c.notNull())
        .addColumn('completion_tokens', 'integer', (c) => c.notNull())
        .addColumn('total_tokens', 'integer', (c) => c.notNull())
        .addColumn('cost_usd', money)
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addUniqueConstraint('vector_agent_steps_job_index', ['job_id', 'step_index'])
        .execute();
      // Usage summaries and the monthly ceiling read an organization's steps by time.
      await db.schema.createIndex('vector_agent_steps_org_time').on('vector_agent_steps').columns(['organization_id', 'created_at']).execute();
      await db.schema.alterTable('vector_agent_jobs').addColumn('step_counter', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('vector_agent_jobs').addColumn('cached_tokens', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('vector_agent_jobs').addColumn('cost_usd', money, (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('vector_agent_jobs').addColumn('unpriced_calls', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('vector_agent_jobs').addColumn('max_cost_usd', money).execute();
      await db.schema.alterTable('vector_organizations').addColumn('monthly_budget_usd', money).execute();
    },
  },
  '0006_data_schema_as_code': {
    async up(db: Kysely<any>) {
      const text = 'text' as const;
      await db.schema.alterTable('vector_data_tables').addColumn('indexes', text, (c) => c.notNull().defaultTo('[]')).execute();
      await db.schema.alterTable('vector_data_tables').addColumn('access', text, (c) => c.notNull().defaultTo('{"read":false,"insert":false,"update":false,"delete":false}')).execute();
      await db.schema
        .createTable('vector_data_migrations')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('environment', text, (c) => c.notNull())
        .addColumn('version_id', text, (c) => c.notNull())
        .addColumn('from_version_id', text)
        .addColumn('steps', text, (c) => c.notNull())
        .addColumn('destructive', 'integer', (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vector_data_migrations_project').on('vector_data_migrations').columns(['project_id', 'environment', 'created_at']).execute();
    },
  },
  '0007_data_history': {
    async up(db: Kysely<any>) {
      const text = 'text' as const;
      await db.schema.alterTable('vector_projects').addColumn('data_revision', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Keys the engine makes for itself (the data tokens' signing key), shared by its processes.
      await db.schema
        .createTable('vector_engine_secrets')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('value', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      // Data branches: the project's production data, and one copy per preview deployment.
      await db.schema.alterTable('vector_data_tables').addColumn('branch', text, (c) => c.notNull().defaultTo('production')).execute();
      await db.schema.createIndex('vector_data_tables_branch').on('vector_data_tables').columns(['project_id', 'branch', 'name']).execute();
      // A project's deployments by creation (the newest decides which production one replaces which).
      await db.schema.createIndex('vector_deployments_project_created').on('vector_deployments').columns(['project_id', 'created_at']).execute();
      await db.schema
        .createTable('vector_data_row_versions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('table_id', text, (c) => c.notNull())
        .addColumn('row_id', text, (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('data', text)
        .addColumn('actor', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vector_data_row_versions_row').on('vector_data_row_versions').columns(['project_id', 'row_id', 'revision']).execute();
      await db.schema
        .createTable('vector_data_checkpoints')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('vector_projects.id').onDelete('cascade'))
        .addColumn('organization_id', text, (c) => c.notNull())
        .addColumn('version_id', text, (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('tables', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vector_data_checkpoints_version').on('vector_data_checkpoints').columns(['project_id', 'version_id', 'revision']).execute();
      // Rows from before the history began get their first version, so the data as of any later revision is complete.
      const rows: Array<{ id: string; project_id: string; organization_id: string; table_id: string; data: string; updated_at: string }> = await db
        .selectFrom('vector_data_rows')
        .select(['id', 'project_id', 'organization_id', 'table_id', 'data', 'updated_at'])
        .orderBy('project_id')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const revisions = new Map<string, number>();
      for (const row of rows) {
        const revision = (revisions.get(row.project_id) ?? 0) + 1;
        revisions.set(row.project_id, revision);
        await db
          .insertInto('vector_data_row_versions')
          .values({ id: `${row.id}@${revision}`, project_id: row.project_id, organization_id: row.organization_id, table_id: row.table_id, row_id: row.id, revision, data: row.data, actor: 'system:migration', created_at: row.updated_at })
          .execute();
      }
      for (const [projectId, revision] of revisions) await db.updateTable('vector_projects').set({ data_revision: revision }).where('id', '=', projectId).execute();
    },
  },
  '0008_mcp_connectors': {
    async up(db: Kysely<any>) {
      const text = 'text' as const;
      await db.schema
        .createTable('vector_mcp_connectors')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('organization_id', text, (c) => c.notNull().references('vector_organizations.id').onDelete('cascade'))
        .addColumn('project_id', text, (c) => c.references('vector_projects.id').onDelete('cascade'))
        // The project id, or '' for the organization's own: a unique index ignores NULLs.
        .addColumn('scope_key', text, (c) => c.notNull())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('transport', text, (c) => c.notNull())
        .addColumn('url', text, (c) => c.notNull())
        .addColumn('header_names', text, (c) => c.notNull().defaultTo('[]'))
        .addColumn('sealed_headers', text)
        .addColumn('allowed_tools', text)
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('health', text)
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      // One name per scope: the organization's connectors, and each project's.
      await db.schema.createIndex('vector_mcp_connectors_name').on('vector_mcp_connectors').columns(['organization_id', 'scope_key', 'name']).unique().execute();
    },
  },
  '0009_storage_conflicts': {
    async up(db: Kysely<any>) {
      // A branch someone changed in a way Vector's head does not contain: both heads, until settled.
      await db.schema.alterTable('vector_projects').addColumn('storage_conflict', 'text').execute();
      // Who wrote a version's commit outside Vector (a push turned into a version).
      await db.schema.alterTable('vector_code_versions').addColumn('author', 'text').execute();
    },
  },
  '0010_member_names': {
    async up(db: Kysely<any>) {
      // The name an organization knows a member by. Users are shared across organizations, so
      // members lists show this, never the user's stored profile. Existing members have none:
      // which organization gave a user their stored name is not known.
      await db.schema.alterTable('vector_memberships').addColumn('name', 'text').execute();
    },
  },
  '0011_job_trace_context': {
    async up(db: Kysely<any>) {
      // The trace context of the request that queued a job (W3C `traceparent`, as a JSON
      // carrier), so the worker's `vector.job.run` span joins the request's trace.
      await db.schema.alterTable('vector_agent_jobs').addColumn('trace_context', 'text').execute();
    },
  },
};

/** Brings the core tables up to date. Safe to call from several processes at once. */
export function migrateCoreTables(connection: Pick<VectorDatabaseConnection, 'db' | 'dialect'>): Promise<void> {
  return runMigrations(connection, { name: 'vector', migrations: coreMigrations });
}
