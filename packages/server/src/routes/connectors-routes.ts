import { createConnectorInputSchema, mcpConnectorSchema, updateConnectorInputSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

const connectorParams = z.object({ connectorId: idParam });

/**
 * MCP connectors: servers whose tools the organization's agents may call. Members read them
 * (header values are never returned, only their names); admins register, change and delete them.
 */
export async function connectorsRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/v1/connectors', {
    config: { role: 'admin' },
    schema: {
      tags: ['connectors'],
      summary: 'Register an MCP connector',
      description:
        'For the organization, or one project with `projectId`. `headers` (e.g. `Authorization`) are stored encrypted and never returned. Answers 201 with the first health check in `health`: a connector that cannot be reached is still saved, with `health.error.code` `UNREACHABLE`, `AUTH_FAILED`, `PROTOCOL_ERROR` or `TIMEOUT`. A URL at a private, loopback or link-local address answers 400 unless the server allows it (`VECTOR_MCP_ALLOW_HOSTS`).',
      body: createConnectorInputSchema,
      response: { 201: mcpConnectorSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).connectors.create(request.body)),
  });

  app.get('/v1/connectors', {
    schema: {
      tags: ['connectors'],
      summary: "List the organization's MCP connectors",
      description: "With `projectId`, those that project's jobs see: the organization's, the project's own and the server's stdio ones.",
      querystring: z.object({ projectId: idParam.optional() }),
      response: { 200: z.object({ items: z.array(mcpConnectorSchema) }), ...errorResponses },
    },
    handler: async (request) => ({ items: await scopeOf(context, request).connectors.list(request.query.projectId ? { projectId: request.query.projectId } : {}) }),
  });

  app.get('/v1/connectors/:connectorId', {
    schema: { tags: ['connectors'], summary: 'Get an MCP connector', params: connectorParams, response: { 200: mcpConnectorSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).connectors.get(request.params.connectorId),
  });

  app.patch('/v1/connectors/:connectorId', {
    config: { role: 'admin' },
    schema: {
      tags: ['connectors'],
      summary: 'Change an MCP connector',
      description: '`headers` replaces every header. A new URL or new headers run the health check again.',
      params: connectorParams,
      body: updateConnectorInputSchema,
      response: { 200: mcpConnectorSchema, ...errorResponses },
    },
    handler: async (request) => scopeOf(context, request).connectors.update(request.params.connectorId, request.body),
  });

  app.delete('/v1/connectors/:connectorId', {
    config: { role: 'admin' },
    schema: { tags: ['connectors'], summary: 'Delete an MCP connector', params: connectorParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await scopeOf(context, request).connectors.delete(request.params.connectorId);
      return reply.code(204).send(null);
    },
  });

  app.post('/v1/connectors/:connectorId/check', {
    schema: {
      tags: ['connectors'],
      summary: "Check an MCP connector: connect and list its tools",
      params: connectorParams,
      response: { 200: mcpConnectorSchema, ...errorResponses },
    },
    handler: async (request) => scopeOf(context, request).connectors.check(request.params.connectorId),
  });
}
