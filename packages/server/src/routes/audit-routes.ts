import { auditFilterInputSchema, auditLogSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { errorResponses, pageOf, pageQuerySchema } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

/** The organization's audit log, newest first, filterable by project, actor, action and time. */
export async function auditRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/v1/audit', {
    config: { role: 'admin' },
    schema: {
      tags: ['audit'],
      summary: 'List audit entries',
      querystring: pageQuerySchema.extend(auditFilterInputSchema.shape),
      response: { 200: pageOf(auditLogSchema), ...errorResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filter } = request.query;
      return scopeOf(context, request).audit.list(filter, { limit, cursor });
    },
  });
}
