import type { Transaction } from 'kysely';
import type { AuditLog } from '../../schemas/audit-log.js';
import type { Actor } from '../../schemas/common.js';
import type { CoreDatabase } from '../store/database-schema.js';
import type { EngineContext } from '../engine-context.js';
import { toJson } from '../store/json-column.js';
import { toAuditLog } from '../store/row-mappers.js';

/** What one audited mutation records. */
export interface AuditInput {
  organizationId: string;
  projectId: string | null;
  actor: Actor;
  action: string;
  entityType: string;
  entityId: string;
  beforeId?: string | null;
  afterId?: string | null;
  data?: Record<string, unknown>;
}

/**
 * Writes the audit entry inside the mutation's own transaction, so a mutation and its
 * audit entry are committed together or not at all; announces it after commit.
 */
export async function writeAudit(
  context: EngineContext,
  trx: Transaction<CoreDatabase>,
  afterCommit: (callback: () => void) => void,
  input: AuditInput,
): Promise<AuditLog> {
  const row = {
    id: context.newId(),
    organization_id: input.organizationId,
    project_id: input.projectId,
    actor_type: input.actor.type,
    actor_id: input.actor.id,
    action: input.action,
    entity_type: input.entityType,
    entity_id: input.entityId,
    before_id: input.beforeId ?? null,
    after_id: input.afterId ?? null,
    data: toJson(input.data ?? {}),
    created_at: context.nowIso(),
  };
  await trx.insertInto('vector_audit_logs').values(row).execute();
  const entry = toAuditLog(row);
  afterCommit(() => context.events.emit('audit.created', { organizationId: input.organizationId, entry }));
  return entry;
}

/** Deletes an organization's audit trail, in the transaction that deletes the organization. */
export async function deleteAuditTrail(trx: Transaction<CoreDatabase>, organizationId: string): Promise<void> {
  await trx.deleteFrom('vector_audit_logs').where('organization_id', '=', organizationId).execute();
}
