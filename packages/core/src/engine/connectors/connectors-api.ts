import { ConflictError } from '../../errors/conflict-error.js';
import { parseInput } from '../../errors/from-zod.js';
import { ValidationError } from '../../errors/validation-error.js';
import { idSchema } from '../../schemas/common.js';
import { type ConnectorHealth, createConnectorInputSchema, type McpConnector, updateConnectorInputSchema } from '../../schemas/mcp-connector.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { EngineContext } from '../engine-context.js';
import { loadProject, type ScopeContext } from '../scope-context.js';
import { toJson } from '../store/json-column.js';
import type { ConnectorsApi } from '../vector-types.js';
import { type ConnectorRow, loadConnector, type ResolvedConnector, serverConnectors, toConnector } from './connector-store.js';
import { classifyConnectorError, openMcpSession } from './mcp-session.js';

/** Connects, lists the tools and disconnects: the health check. Never throws. */
export async function checkConnector(engine: EngineContext, resolved: ResolvedConnector): Promise<ConnectorHealth> {
  const checkedAt = engine.nowIso();
  if (resolved.target.transport !== 'stdio') {
    const refusal = await engine.networkGuard.check(resolved.target.url);
    if (refusal) return { ok: false, checkedAt, error: refusal };
  }
  const timeoutMs = Math.min(engine.settings.connectors.callTimeoutMs, 15_000);
  try {
    const session = await openMcpSession(resolved.target, { guard: engine.networkGuard, timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    try {
      return { ok: true, checkedAt, tools: await session.listTools() };
    } finally {
      await session.close();
    }
  } catch (error) {
    const failure = classifyConnectorError(error);
    return { ok: false, checkedAt, error: { code: failure.code, message: failure.message } };
  }
}

/** `scope.connectors`: the organization's and its projects' MCP connectors. */
export function createConnectorsApi(scope: ScopeContext): ConnectorsApi {
  const { engine, organizationId, actor } = scope;
  const db = engine.db;

  async function refuseBlockedUrl(url: string): Promise<void> {
    const refusal = await engine.networkGuard.check(url);
    if (refusal?.code === 'BLOCKED_ADDRESS') throw new ValidationError({ message: `The connector URL is refused: ${refusal.message}`, issues: [{ path: ['url'], message: refusal.message }] });
  }

  function sealHeaders(headers: Record<string, string>): { header_names: string; sealed_headers: string | null } {
    const names = Object.keys(headers).sort();
    if (names.length === 0) return { header_names: '[]', sealed_headers: null };
    if (!engine.secretBox.enabled) throw new ValidationError({ message: 'Connector headers are secrets, and this server has no secrets key to encrypt them with (configure `secretKeys`; the reference server: VECTOR_SECRETS_KEY)', issues: [{ path: ['headers'], message: 'needs a secrets key' }] });
    return { header_names: toJson(names), sealed_headers: engine.secretBox.seal(JSON.stringify(headers)) };
  }

  async function recordHealth(resolved: ResolvedConnector): Promise<McpConnector> {
    const health = await checkConnector(engine, resolved);
    if (resolved.connector.origin === 'server') {
      engine.connectorHealth.set(`${organizationId}/${resolved.connector.name}`, health);
      return { ...resolved.connector, health };
    }
    const row = await db.updateTable('vector_mcp_connectors').set({ health: toJson(health) }).where('id', '=', resolved.connector.id).returningAll().executeTakeFirst();
    return row ? toConnector(row) : { ...resolved.connector, health };
  }

  return {
    async create(input) {
      const parsed = parseInput(createConnectorInputSchema, input, 'connector');
      if (parsed.projectId) await loadProject(scope, parsed.projectId);
      await refuseBlockedUrl(parsed.url);
      const now = engine.nowIso();
      const row: ConnectorRow = {
        id: engine.newId(),
        organization_id: organizationId,
        project_id: parsed.projectId ?? null,
        scope_key: parsed.projectId ?? '',
        name: parsed.name,
        transport: parsed.transport,
        url: parsed.url,
        ...sealHeaders(parsed.headers),
        allowed_tools: parsed.allowedTools === null ? null : toJson(parsed.allowedTools),
        enabled: parsed.enabled ? 1 : 0,
        health: null,
        created_by: `${actor.type}:${actor.id}`,
        created_at: now,
        updated_at: now,
      };
      await engine.transaction(async (trx, afterCommit) => {
        const taken = await trx.selectFrom('vector_mcp_connectors').select('id').where('organization_id', '=', organizationId).where('scope_key', '=', row.scope_key).where('name', '=', row.name).executeTakeFirst();
        if (taken) throw new ConflictError({ message: `A connector named ${row.name} already exists ${row.project_id ? 'in this project' : 'in this organization'}` });
        await trx.insertInto('vector_mcp_connectors').values(row).execute();
        await writeAudit(engine, trx, afterCommit, {
          organizationId,
          projectId: row.project_id,
          actor,
          action: 'connector.create',
          entityType: 'connector',
          entityId: row.id,
          afterId: row.id,
          data: { name: row.name, url: row.url, transport: row.transport, headerNames: Object.keys(parsed.headers).sort(), allowedTools: parsed.allowedTools },
        });
      });
      return recordHealth({ connector: toConnector(row), target: { transport: parsed.transport, url: parsed.url, headers: parsed.headers } });
    },

    async list(filter) {
      const projectId = filter?.projectId === undefined ? undefined : parseInput(idSchema, filter.projectId, 'project id');
      if (projectId) await loadProject(scope, projectId);
      let query = db.selectFrom('vector_mcp_connectors').selectAll().where('organization_id', '=', organizationId).orderBy('name').orderBy('id');
      if (projectId) query = query.where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]));
      const rows = await query.execute();
      return [...serverConnectors(engine, organizationId).map((entry) => entry.connector), ...rows.map(toConnector)];
    },

    async get(connectorId) {
      return (await loadConnector(engine, organizationId, parseInput(idSchema, connectorId, 'connector id'))).resolved.connector;
    },

    async update(connectorId, patch) {
      const id = parseInput(idSchema, connectorId, 'connector id');
      const parsed = parseInput(updateConnectorInputSchema, patch, 'connector changes');
      const { row, resolved } = await loadConnector(engine, organizationId, id);
      if (!row) throw new ValidationError({ message: 'A connector from the server’s configuration cannot be changed through the API' });
      if (parsed.url) await refuseBlockedUrl(parsed.url);
      const changes: Partial<ConnectorRow> = { updated_at: engine.nowIso() };
      if (parsed.url !== undefined) changes.url = parsed.url;
      if (parsed.headers !== undefined) Object.assign(changes, sealHeaders(parsed.headers));
      if (parsed.allowedTools !== undefined) changes.allowed_tools = parsed.allowedTools === null ? null : toJson(parsed.allowedTools);
      if (parsed.enabled !== undefined) changes.enabled = parsed.enabled ? 1 : 0;
      const updated = await engine.transaction(async (trx, afterCommit) => {
        const next = await trx.updateTable('vector_mcp_connectors').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
        await writeAudit(engine, trx, afterCommit, {
          organizationId,
          projectId: row.project_id,
          actor,
          action: 'connector.update',
          entityType: 'connector',
          entityId: id,
          data: { name: row.name, changed: Object.keys(parsed).sort(), ...(parsed.headers ? { headerNames: Object.keys(parsed.headers).sort() } : {}) },
        });
        return next;
      });
      if (parsed.url === undefined && parsed.headers === undefined) return toConnector(updated);
      const target = resolved.target.transport === 'stdio' ? resolved.target : { ...resolved.target, url: updated.url, headers: parsed.headers ?? resolved.target.headers };
      return recordHealth({ connector: toConnector(updated), target });
    },

    async delete(connectorId) {
      const id = parseInput(idSchema, connectorId, 'connector id');
      const { row } = await loadConnector(engine, organizationId, id);
      if (!row) throw new ValidationError({ message: 'A connector from the server’s configuration cannot be deleted through the API' });
      await engine.transaction(async (trx, afterCommit) => {
        await trx.deleteFrom('vector_mcp_connectors').where('id', '=', id).execute();
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: row.project_id, actor, action: 'connector.delete', entityType: 'connector', entityId: id, beforeId: id, data: { name: row.name } });
      });
    },

    async check(connectorId) {
      const { resolved } = await loadConnector(engine, organizationId, parseInput(idSchema, connectorId, 'connector id'));
      return recordHealth(resolved);
    },
  };
}
