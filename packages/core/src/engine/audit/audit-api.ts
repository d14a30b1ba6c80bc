import { NotFoundError } from '../../errors/not-found-error.js';
import { parseInput } from '../../errors/from-zod.js';
import { auditFilterInputSchema, recordAuditInputSchema } from '../../schemas/inputs.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toAuditLog } from '../store/row-mappers.js';
import type { ScopeContext } from '../scope-context.js';
import type { AuditApi } from '../vector-types.js';
import { writeAudit } from './audit-writer.js';

/** The audit trail of one organization, newest first. */
export function createAuditApi(scope: ScopeContext): AuditApi {
  const { engine, organizationId } = scope;
  return {
    async list(filter, page) {
      const parsed = parseInput(auditFilterInputSchema, filter ?? {}, 'audit filter');
      const { limit, cursor } = readPage(page);
      let query = engine.db.selectFrom('vector_audit_logs').selectAll().where('organization_id', '=', organizationId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (parsed.projectId) query = query.where('project_id', '=', parsed.projectId);
      if (parsed.actorId) query = query.where('actor_id', '=', parsed.actorId);
      if (parsed.action) query = query.where('action', '=', parsed.action);
      // Stored timestamps are UTC ISO text, which sorts chronologically.
      if (parsed.since) query = query.where('created_at', '>=', new Date(parsed.since).toISOString());
      if (parsed.until) query = query.where('created_at', '<', new Date(parsed.until).toISOString());
      if (cursor) query = query.where(afterCreatedCursor(cursor, 'desc'));
      return toPage(await query.execute(), limit, toAuditLog, (row) => ({ key: row.created_at, id: row.id }));
    },
    async record(input) {
      const parsed = parseInput(recordAuditInputSchema, input, 'audit entry');
      return engine.transaction(async (trx, afterCommit) => {
        // An entry needs its organization: none is written for one that is gone (or never was).
        const organization = await trx.selectFrom('vector_organizations').select('id').where('id', '=', organizationId).executeTakeFirst();
        if (!organization) throw new NotFoundError({ entity: 'organization', id: organizationId });
        return writeAudit(engine, trx, afterCommit, {
          organizationId,
          projectId: null,
          actor: scope.actor,
          action: parsed.action,
          entityType: parsed.entityType,
          entityId: parsed.entityId,
          ...(parsed.data ? { data: parsed.data } : {}),
        });
      });
    },
  };
}
