import { ForbiddenError, memberRoleSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/auth-plugin.js';
import { hasRole } from '../auth/principal.js';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import type { RoutePluginOptions } from '../plumbing/server-context.js';

const apiKeySchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  role: memberRoleSchema,
  prefix: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** An API key as answered once, on creation: with the key itself. */
export const apiKeyCreatedSchema = apiKeySchema.extend({ key: z.string().describe('The key. Shown only here; store it now.') });

/** Organization API keys: create (shown once), list, revoke. Admins and owners only. */
export async function apiKeysRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/api-keys', {
    config: { role: 'admin' },
    schema: { tags: ['api keys'], summary: 'List API keys (never the keys themselves)', response: { 200: z.object({ items: z.array(apiKeySchema) }), ...errorResponses } },
    handler: async (request) => ({ items: await context.apiKeys.list(principalOf(request).organizationId) }),
  });

  app.post('/v1/api-keys', {
    config: { role: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'Create an API key; the answer is the only time the key is shown',
      body: z.object({ name: z.string().trim().min(1).max(200), role: memberRoleSchema.default('member') }),
      response: { 201: apiKeyCreatedSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      if (!hasRole(principal.role, request.body.role)) throw new ForbiddenError({ message: `A ${principal.role} cannot create a key with the ${request.body.role} role` });
      const created = await context.apiKeys.create({ organizationId: principal.organizationId, name: request.body.name, role: request.body.role, createdBy: `${principal.actor.type}:${principal.actor.id}` });
      return reply.code(201).send({ ...created.apiKey, key: created.key });
    },
  });

  app.delete('/v1/api-keys/:apiKeyId', {
    config: { role: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'Revoke an API key',
      description: 'A key whose role outranks the caller’s (an owner key, for an admin) answers 403.',
      params: z.object({ apiKeyId: idParam }),
      response: { 200: apiKeySchema, ...errorResponses },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      return context.apiKeys.revoke({ organizationId: principal.organizationId, id: request.params.apiKeyId, callerRole: principal.role });
    },
  });
}
