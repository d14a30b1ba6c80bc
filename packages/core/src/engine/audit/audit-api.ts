import { parseInput } from '../../errors/from-zod.js';
import { auditFilterInputSchema } from '../../schemas/inputs.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toAuditLog } from '../store/row-mappers.js';
import type { ScopeContext } from '../scope-context.js';
import type { AuditApi } from '../vector-types.js';

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
  };
}
