import type { ConnectorFailureCode, ConnectorTool } from '../../schemas/mcp-connector.js';
import type { NetworkGuard } from './network-guard.js';
import { errorMessage } from '../../helpers/error-message.js';

/** Where and how to reach one MCP server. */
export type ConnectorTarget =
  | { transport: 'streamable-http' | 'sse'; url: string; headers: Record<string, string> }
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string };

/** What a tool call gave back, reduced to what an agent can pass to a model. */
export interface ConnectorCallOutcome {
  /** True when the server reported the call failed (`isError`). */
  isError: boolean;
  /** The result's text (text parts as they are, other parts described). */
  text: string;
}

/** An open connection to one MCP server. */
export interface McpSession {
  listTools(): Promise<ConnectorTool[]>;
  callTool(input: { name: string; arguments: Record<string, unknown>; signal: AbortSignal; timeoutMs: number }): Promise<ConnectorCallOutcome>;
  close(): Promise<void>;
}

/** A connector failure, classified so the user knows what to fix. */
export class ConnectorFailure extends Error {
  readonly code: ConnectorFailureCode;
  constructor(code: ConnectorFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectorFailure';
    this.code = code;
  }
}

/** Sorts an error from the SDK or the network into unreachable, authentication failed, timeout or protocol error. */
export function classifyConnectorError(error: unknown): ConnectorFailure {
  if (error instanceof ConnectorFailure) return error;
  if ((error as { cause?: unknown })?.cause instanceof ConnectorFailure) return (error as { cause: ConnectorFailure }).cause;
  const message = errorMessage(error);
  const name = error instanceof Error ? error.name : '';
  const status = typeof (error as { code?: unknown })?.code === 'number' ? ((error as { code: number }).code) : undefined;
  if (name === 'UnauthorizedError' || status === 401 || status === 403) return new ConnectorFailure('AUTH_FAILED', `The server refused the credentials: ${message}`, { cause: error });
  if (status === -32001 || /timed? ?out/i.test(message)) return new ConnectorFailure('TIMEOUT', `The server did not answer in time: ${message}`, { cause: error });
  const cause = (error as { cause?: { code?: string } })?.cause;
  const network = typeof cause?.code === 'string' ? cause.code : '';
  if (name === 'TypeError' && /fetch failed/i.test(message)) return new ConnectorFailure('UNREACHABLE', `Could not connect to the server${network ? ` (${network})` : ''}`, { cause: error });
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|ETIMEDOUT|ENOENT|spawn/.test(`${message} ${network}`)) return new ConnectorFailure('UNREACHABLE', `Could not connect to the server: ${message}`, { cause: error });
  if (status === 404 || status === 405) return new ConnectorFailure('PROTOCOL_ERROR', `The URL does not serve MCP (HTTP ${status})`, { cause: error });
  return new ConnectorFailure('PROTOCOL_ERROR', `The server did not speak MCP as expected: ${message}`, { cause: error });
}

function describePart(part: Record<string, unknown>): string {
  if (part.type === 'text' && typeof part.text === 'string') return part.text;
  if (part.type === 'resource' && typeof part.resource === 'object' && part.resource !== null) {
    const resource = part.resource as Record<string, unknown>;
    return typeof resource.text === 'string' ? resource.text : `[resource ${String(resource.uri ?? '')}]`;
  }
  if (part.type === 'resource_link') return `[resource ${String(part.uri ?? '')}]`;
  if (part.type === 'image' || part.type === 'audio') return `[${String(part.type)} ${String(part.mimeType ?? '')}, ${typeof part.data === 'string' ? Math.floor((part.data.length * 3) / 4) : 0} bytes]`;
  return `[${String(part.type ?? 'unknown')} content]`;
}

/**
 * Opens a session with an MCP server through the official SDK (imported on first use). Every
 * HTTP request is checked by the network guard first and redirects are refused, so a redirect
 * or a DNS answer that changed since the connector was saved does not lead it into a private
 * network. The guard resolves the name itself and `fetch` resolves it again to connect, so a
 * name whose answer flips between those two lookups (DNS rebinding within one request) is not
 * caught: the connection is not pinned to the checked address.
 */
export async function openMcpSession(target: ConnectorTarget, options: { guard: NetworkGuard; timeoutMs: number; signal?: AbortSignal }): Promise<McpSession> {
  const [{ Client }, transport] = await Promise.all([import('@modelcontextprotocol/sdk/client/index.js'), createTransport(target, options.guard)]);
  const client = new Client({ name: 'vector', version: '1' }, { capabilities: {} });
  // Transport failures after connecting (a dropped event stream) surface on the next call.
  client.onerror = () => undefined;
  try {
    await client.connect(transport, { timeout: options.timeoutMs, signal: options.signal });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw classifyConnectorError(error);
  }
  return {
    async listTools() {
      const tools: ConnectorTool[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: options.timeoutMs, signal: options.signal });
        for (const tool of result.tools) tools.push({ name: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema as Record<string, unknown> });
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return tools;
    },
    async callTool(input) {
      const result = await client.callTool({ name: input.name, arguments: input.arguments }, undefined, { signal: input.signal, timeout: input.timeoutMs, maxTotalTimeout: input.timeoutMs });
      const parts = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
      const text = parts.map(describePart).join('\n');
      const structured = result.structuredContent === undefined || parts.length > 0 ? '' : JSON.stringify(result.structuredContent);
      return { isError: result.isError === true, text: text || structured };
    },
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}

async function createTransport(target: ConnectorTarget, guard: NetworkGuard) {
  if (target.transport === 'stdio') {
    const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    // Only the operator's command runs here, with a minimal environment (never the server's secrets).
    return new StdioClientTransport({ command: target.command, args: target.args, env: { ...getDefaultEnvironment(), ...target.env }, cwd: target.cwd, stderr: 'ignore' });
  }
  const guardedFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const refusal = await guard.check(String(url));
    if (refusal) throw new ConnectorFailure(refusal.code, refusal.message);
    return fetch(url, { ...init, redirect: 'error' });
  };
  const requestInit = { headers: target.headers };
  if (target.transport === 'sse') {
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
    return new SSEClientTransport(new URL(target.url), { requestInit, fetch: guardedFetch, eventSourceInit: { fetch: (url, init) => guardedFetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), ...target.headers } }) } });
  }
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  return new StreamableHTTPClientTransport(new URL(target.url), { requestInit, fetch: guardedFetch, reconnectionOptions: { maxReconnectionDelay: 1000, initialReconnectionDelay: 200, reconnectionDelayGrowFactor: 1.5, maxRetries: 0 } });
}
