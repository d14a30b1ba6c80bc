import { z } from 'zod';
import { idSchema, timestampSchema } from './common.js';

/** A connector's name: a slug, which prefixes its tools' names (`<connector>__<tool>`) when an agent shows them to a model. */
export const connectorNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, 'a connector name is 1–31 lower-case letters, digits and dashes, starting with a letter');

/** How the engine speaks to an MCP server: Streamable HTTP, the older HTTP+SSE transport, or (operator-configured only) stdio. */
export const connectorTransportSchema = z.enum(['streamable-http', 'sse', 'stdio']);
/** How the engine speaks to an MCP server. */
export type ConnectorTransport = z.infer<typeof connectorTransportSchema>;

/** Why a connector's health check (or a call) failed, so a user knows what to fix. */
export const connectorFailureCodeSchema = z.enum(['UNREACHABLE', 'AUTH_FAILED', 'PROTOCOL_ERROR', 'TIMEOUT', 'BLOCKED_ADDRESS']);
/** Why a connector failed. */
export type ConnectorFailureCode = z.infer<typeof connectorFailureCodeSchema>;

/** One tool an MCP server offers. */
export const connectorToolSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** The tool's JSON Schema for its arguments. */
  inputSchema: z.record(z.string(), z.unknown()),
});
/** One tool an MCP server offers. */
export type ConnectorTool = z.infer<typeof connectorToolSchema>;

/** The outcome of a health check: the tools the server lists, or why it could not be reached. */
export const connectorHealthSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), checkedAt: timestampSchema, tools: z.array(connectorToolSchema) }),
  z.object({ ok: z.literal(false), checkedAt: timestampSchema, error: z.object({ code: connectorFailureCodeSchema, message: z.string() }) }),
]);
/** The outcome of a connector's health check. */
export type ConnectorHealth = z.infer<typeof connectorHealthSchema>;

/**
 * An MCP server an organization (for all its projects) or one project lets its agents use.
 * Header values are secrets: stored encrypted, never returned; only their names are.
 */
export const mcpConnectorSchema = z.object({
  id: idSchema,
  organizationId: idSchema,
  /** Null: the organization's, offered to all its projects. */
  projectId: idSchema.nullable(),
  name: connectorNameSchema,
  transport: connectorTransportSchema,
  /** The server's URL (null for stdio connectors). */
  url: z.string().nullable(),
  /** Names of the headers sent with every request (their values are secret). */
  headerNames: z.array(z.string()),
  /** Tools agents may call; null allows every tool the server lists. */
  allowedTools: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  /** `api`: registered through the API; `server`: from the server's own configuration (read-only). */
  origin: z.enum(['api', 'server']),
  /** The last health check, or null before the first. */
  health: connectorHealthSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** An MCP connector; see {@link mcpConnectorSchema}. */
export type McpConnector = z.infer<typeof mcpConnectorSchema>;

const headerNameSchema = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'a header name is letters, digits and dashes');
const headersSchema = z
  .record(headerNameSchema, z.string().max(8192))
  .refine((headers) => Object.keys(headers).length <= 20, 'at most 20 headers')
  .refine((headers) => Object.keys(headers).every((name) => !['host', 'content-length', 'content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version'].includes(name.toLowerCase())), 'that header is set by the transport');

/** Registers an MCP connector (HTTP transports only: stdio servers come from the server's configuration). */
export const createConnectorInputSchema = z.object({
  /** Omit for an organization-wide connector. */
  projectId: idSchema.optional(),
  name: connectorNameSchema,
  transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
  url: z.url({ protocol: /^https?$/, error: 'the URL must be http or https' }).max(2000),
  /** Sent with every request, e.g. `{ Authorization: 'Bearer …' }`. Stored encrypted. */
  headers: headersSchema.default({}),
  allowedTools: z.array(z.string().min(1).max(200)).max(500).nullable().default(null),
  enabled: z.boolean().default(true),
});
/** Input of `connectors.create`. */
export type CreateConnectorInput = z.input<typeof createConnectorInputSchema>;

/** Changes a connector. `headers` replaces every header (give `{}` to remove them all). */
export const updateConnectorInputSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'the URL must be http or https' }).max(2000),
    headers: headersSchema,
    allowedTools: z.array(z.string().min(1).max(200)).max(500).nullable(),
    enabled: z.boolean(),
  })
  .partial();
/** Input of `connectors.update`. */
export type UpdateConnectorInput = z.input<typeof updateConnectorInputSchema>;

/** An MCP server the operator runs over stdio: a trusted command from the server's configuration, never from the API. */
export const stdioConnectorSchema = z.object({
  name: connectorNameSchema,
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** The child's environment on top of a minimal one (PATH, HOME…): never the server's own variables. */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  allowedTools: z.array(z.string().min(1)).nullable().default(null),
  /** Organizations offered this server; absent: every organization. */
  organizationIds: z.array(idSchema).optional(),
});
/** An operator's stdio MCP server; see {@link stdioConnectorSchema}. */
export type StdioConnectorConfig = z.input<typeof stdioConnectorSchema>;
