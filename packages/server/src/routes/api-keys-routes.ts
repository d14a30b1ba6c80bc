import { ForbiddenError, memberRoleSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/auth-plugin.js';
import { hasRole } from '../auth/principal.js';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import type { RoutePluginOptions } from '../plumbing/server-context.js';

/** An API key as listed: never the key itself. */
export const apiKeySchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  role: memberRoleSchema.describe("The role the key grants; for a personal key the most it grants (it acts with the lesser of this and its member's current role)."),
  prefix: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  userId: z.string().nullable().describe("A personal key's member: the key acts as that person. Null for an organization's key."),
});

/** An API key as answered once, on creation: with the key itself. */
export const apiKeyCreatedSchema = apiKeySchema.extend({ key: z.string().describe('The key. Shown only here; store it now.') });

/**
 * The organization's API keys: create organization keys (shown once), list every key (personal
 * ones too), revoke any. Admins and owners only; creating and revoking are audited.
 */
export async function apiKeysRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/api-keys', {
    config: { role: 'admin' },
    schema: { tags: ['api keys'], summary: "List the organization's API keys, personal ones included (never the keys themselves)", response: { 200: z.object({ items: z.array(apiKeySchema) }), ...errorResponses } },
    handler: async (request) => ({ items: await context.apiKeys.list(principalOf(request).organizationId) }),
  });

  app.post('/v1/api-keys', {
    config: { role: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: "Create an organization API key (it acts as itself, not as a person); the answer is the only time the key is shown",
      description: 'Audited as `api_key.create`. Members make keys that act as themselves with `POST /v1/me/api-keys`.',
      body: z.object({ name: z.string().trim().min(1).max(200), role: memberRoleSchema.default('member') }),
      response: { 201: apiKeyCreatedSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      if (!hasRole(principal.role, request.body.role)) throw new ForbiddenError({ message: `A ${principal.role} cannot create a key with the ${request.body.role} role` });
      const created = await context.auditedApiKeys.create(principal.actor, { organizationId: principal.organizationId, name: request.body.name, role: request.body.role });
      return reply.code(201).send({ ...created.apiKey, key: created.key });
    },
  });

  app.delete('/v1/api-keys/:apiKeyId', {
    config: { role: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'Revoke an API key',
      description: 'A key whose role outranks the caller’s (an owner key, for an admin; a personal key counts with its member’s current role) answers 403. Audited as `api_key.revoke`.',
      params: z.object({ apiKeyId: idParam }),
      response: { 200: apiKeySchema, ...errorResponses },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      return context.auditedApiKeys.revoke(principal.actor, { organizationId: principal.organizationId, id: request.params.apiKeyId, callerRole: principal.role });
    },
  });
}
