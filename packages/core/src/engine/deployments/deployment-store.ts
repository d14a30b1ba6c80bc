import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ProviderLogPage } from '../../plugins/deployment-provider.js';
import type { EngineContext } from '../engine-context.js';
import type { CoreDatabase } from '../store/database-schema.js';

/**
 * The one module that writes a deployment's state: it owns `vector_deployments`,
 * `vector_deployment_logs` and `vector_source_mirrors`. The deployment driver moves
 * deployments through their lifecycle (and is the only way to destroy one); the deployments
 * API creates them. Neither writes these tables itself.
 *
 * Guarantees: a destroyed deployment is never resurrected by a late update; log lines are
 * numbered 1, 2, 3… per deployment, and a page is stored once even when two refreshers fetch
 * it at the same time.
 */

type Executor = Kysely<CoreDatabase> | Transaction<CoreDatabase>;

/** A deployment row. */
export type DeploymentRow = Selectable<CoreDatabase['vector_deployments']>;
/** A stored log line. */
export type DeploymentLogRow = Selectable<CoreDatabase['vector_deployment_logs']>;
/** A version published by a source mirror. */
export type SourceMirrorRow = Selectable<CoreDatabase['vector_source_mirrors']>;

/** Inserts a new (pending) deployment. */
export async function insertDeployment(trx: Executor, row: Insertable<CoreDatabase['vector_deployments']>): Promise<void> {
  await trx.insertInto('vector_deployments').values(row).execute();
}

/** Moves a reused preview's expiry (and `updated_at`). */
export function extendPreview(engine: EngineContext, deploymentId: string, expiresAt: string | null): Promise<DeploymentRow> {
  return engine.db.updateTable('vector_deployments').set({ expires_at: expiresAt, updated_at: engine.nowIso() }).where('id', '=', deploymentId).returningAll().executeTakeFirstOrThrow();
}

/**
 * Applies a patch to a deployment that is not destroyed, and returns the row as it now
 * stands: a late poll must not overwrite `destroyed`.
 */
export async function updateDeployment(engine: EngineContext, deploymentId: string, patch: Partial<DeploymentRow>): Promise<DeploymentRow> {
  const { db } = engine;
  const updated = await db
    .updateTable('vector_deployments')
    .set({ ...patch, updated_at: engine.nowIso() })
    .where('id', '=', deploymentId)
    .where('status', '!=', 'destroyed')
    .returningAll()
    .executeTakeFirst();
  return updated ?? (await db.selectFrom('vector_deployments').selectAll().where('id', '=', deploymentId).executeTakeFirstOrThrow());
}

/** Records what the provider created for a deployment, even one already destroyed (so the row says what existed). */
export async function recordProviderDeploymentId(engine: EngineContext, deploymentId: string, providerDeploymentId: string): Promise<void> {
  await engine.db.updateTable('vector_deployments').set({ provider_deployment_id: providerDeploymentId }).where('id', '=', deploymentId).execute();
}

/** Marks a deployment destroyed, in the caller's transaction (with its audit row). */
export function markDestroyed(engine: EngineContext, trx: Transaction<CoreDatabase>, deploymentId: string): Promise<DeploymentRow> {
  const now = engine.nowIso();
  return trx.updateTable('vector_deployments').set({ status: 'destroyed', destroyed_at: now, updated_at: now }).where('id', '=', deploymentId).returningAll().executeTakeFirstOrThrow();
}

/**
 * Stores one page of a deployment's logs unless a concurrent refresher already did
 * (compare-and-set on the cursor). Returns the stored lines, or null when another refresher
 * stored this page first.
 */
export function appendDeploymentLogs(engine: EngineContext, deploymentId: string, cursor: string | null, page: { entries: ProviderLogPage['entries']; cursor: string | null }): Promise<DeploymentLogRow[] | null> {
  return engine.transaction(async (trx) => {
    const claimed = await trx
      .updateTable('vector_deployments')
      .set((eb) => ({ log_cursor: page.cursor, log_counter: eb('log_counter', '+', page.entries.length) }))
      .where('id', '=', deploymentId)
      .where('log_cursor', cursor === null ? 'is' : '=', cursor)
      .returning(['log_counter'])
      .executeTakeFirst();
    if (!claimed) return null;
    const first = Number(claimed.log_counter) - page.entries.length + 1;
    const rows = page.entries.map((entry, index) => ({ deployment_id: deploymentId, sequence: first + index, timestamp: entry.timestamp, level: entry.level, source: entry.source, message: entry.message }));
    if (rows.length > 0) await trx.insertInto('vector_deployment_logs').values(rows).execute();
    return rows;
  });
}

/**
 * Records the commit a source mirror published for a version. Mirrors are idempotent, so
 * when two deployments publish one version at once the second insert is skipped.
 */
export async function recordMirroredSource(engine: EngineContext, row: Insertable<CoreDatabase['vector_source_mirrors']>): Promise<void> {
  await engine.db
    .insertInto('vector_source_mirrors')
    .values(row)
    .onConflict((conflict) => conflict.columns(['version_id', 'mirror']).doNothing())
    .execute();
}
