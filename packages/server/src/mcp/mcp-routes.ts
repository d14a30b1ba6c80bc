import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { principalOf } from '../auth/auth-plugin.js';
import type { RoutePluginOptions } from '../plumbing/server-context.js';
import { createVectorMcpServer } from './create-vector-mcp-server.js';

/** The path Vector's MCP server answers on. */
export const MCP_PATH = '/mcp';

/**
 * Vector as an MCP server, over Streamable HTTP in stateless mode: each POST gets a server of
 * its own bound to the caller's API key (same auth, roles, tenancy and rate limit as `/v1`).
 * Progress notifications stream on the POST's response; closing it cancels the call.
 * GET (a standalone event stream) and DELETE (ending a session) answer 405: there are no sessions.
 */
export async function mcpRoutes(fastify: FastifyInstance, { context, version }: RoutePluginOptions & { version: string }): Promise<void> {
  fastify.post(MCP_PATH, { schema: { hide: true } }, async (request, reply) => {
    const principal = principalOf(request);
    const server = createVectorMcpServer({ vector: context.vector, principal, version });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (error) {
      request.log.error({ err: error }, 'MCP request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
    }
  });
  const methodNotAllowed = async (_request: unknown, reply: FastifyReply) =>
    reply.code(405).header('allow', 'POST').send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; POST each request' }, id: null });
  fastify.get(MCP_PATH, { schema: { hide: true } }, methodNotAllowed);
  fastify.delete(MCP_PATH, { schema: { hide: true } }, methodNotAllowed);
}
