import type { Selectable } from 'kysely';
import { NotFoundError } from '../../errors/not-found-error.js';
import type { ConnectorHealth, McpConnector, StdioConnectorConfig } from '../../schemas/mcp-connector.js';
import type { EngineContext } from '../engine-context.js';
import type { CoreDatabase } from '../store/database-schema.js';
import { fromJson } from '../store/json-column.js';
import type { ConnectorTarget } from './mcp-session.js';

/** A stored connector row. */
export type ConnectorRow = Selectable<CoreDatabase['vector_mcp_connectors']>;

/** A connector as the engine uses it: what the API shows, and how to reach it. */
export interface ResolvedConnector {
  connector: McpConnector;
  target: ConnectorTarget;
}

/** The prefix of server-configured connectors' ids (`server:<name>`). */
export const SERVER_CONNECTOR_PREFIX = 'server:';

/** A stored row as the API shows it: header names only, never their values. */
export function toConnector(row: ConnectorRow): McpConnector {
  return {
    id: row.id,
    organizationId: row.organization_id,
    projectId: row.project_id,
    name: row.name,
    transport: row.transport as McpConnector['transport'],
    url: row.url,
    headerNames: fromJson<string[]>(row.header_names),
    allowedTools: row.allowed_tools === null ? null : fromJson<string[]>(row.allowed_tools),
    enabled: Boolean(Number(row.enabled)),
    origin: 'api',
    health: row.health === null ? null : fromJson<ConnectorHealth>(row.health),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The operator's stdio servers offered to an organization, as connectors. */
export function serverConnectors(engine: EngineContext, organizationId: string): ResolvedConnector[] {
  const configured = engine.settings.connectors.stdio as Array<Required<Pick<StdioConnectorConfig, 'name' | 'command'>> & StdioConnectorConfig>;
  return configured
    .filter((entry) => !entry.organizationIds || entry.organizationIds.includes(organizationId))
    .map((entry) => ({
      connector: {
        id: `${SERVER_CONNECTOR_PREFIX}${entry.name}`,
        organizationId,
        projectId: null,
        name: entry.name,
        transport: 'stdio',
        url: null,
        headerNames: [],
        allowedTools: entry.allowedTools ?? null,
        enabled: true,
        origin: 'server',
        health: engine.connectorHealth.get(`${organizationId}/${entry.name}`) ?? null,
        createdAt: engine.startedAt,
        updatedAt: engine.startedAt,
      },
      target: { transport: 'stdio', command: entry.command, args: entry.args ?? [], env: entry.env ?? {}, cwd: entry.cwd },
    }));
}

/** A stored row with its headers opened, ready to connect. */
export function resolveRow(engine: EngineContext, row: ConnectorRow): ResolvedConnector {
  const headers = row.sealed_headers === null ? {} : (JSON.parse(engine.secretBox.open(row.sealed_headers)) as Record<string, string>);
  return { connector: toConnector(row), target: { transport: row.transport as 'streamable-http' | 'sse', url: row.url, headers } };
}

/** Loads one connector of an organization (stored or server-configured); another organization's answers not found. */
export async function loadConnector(engine: EngineContext, organizationId: string, id: string): Promise<{ row: ConnectorRow | null; resolved: ResolvedConnector }> {
  if (id.startsWith(SERVER_CONNECTOR_PREFIX)) {
    const found = serverConnectors(engine, organizationId).find((entry) => entry.connector.id === id);
    if (!found) throw new NotFoundError({ entity: 'connector', id });
    return { row: null, resolved: found };
  }
  const row = await engine.db.selectFrom('vector_mcp_connectors').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
  if (!row) throw new NotFoundError({ entity: 'connector', id });
  return { row, resolved: resolveRow(engine, row) };
}

/** The enabled connectors a project's jobs may use: the organization's, the project's own, and the operator's. */
export async function connectorsForProject(engine: EngineContext, organizationId: string, projectId: string): Promise<ResolvedConnector[]> {
  const rows = await engine.db
    .selectFrom('vector_mcp_connectors')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
    .where('enabled', '=', 1)
    .orderBy('name')
    .execute();
  // A project's connector hides an organization one of the same name.
  const byName = new Map<string, ResolvedConnector>();
  for (const entry of serverConnectors(engine, organizationId)) byName.set(entry.connector.name, entry);
  for (const row of rows.filter((candidate) => candidate.project_id === null)) byName.set(row.name, resolveRow(engine, row));
  for (const row of rows.filter((candidate) => candidate.project_id !== null)) byName.set(row.name, resolveRow(engine, row));
  return [...byName.values()];
}
