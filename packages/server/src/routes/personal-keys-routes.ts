import { ForbiddenError, memberRoleSchema } from '@vector/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/auth-plugin.js';
import { hasRole, type Principal } from '../auth/principal.js';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import type { RoutePluginOptions } from '../plumbing/server-context.js';
import { apiKeyCreatedSchema, apiKeySchema } from './api-keys-routes.js';

/** The caller as a person (a personal key, a JWT, a session): organization keys are refused. */
function personOf(request: FastifyRequest): Principal & { userId: string } {
  const principal = principalOf(request);
  if (principal.actor.type !== 'user') throw new ForbiddenError({ message: "Personal API keys belong to people: call with a person's credentials (a personal key, a JWT, your session), not an organization's API key" });
  return { ...principal, userId: principal.actor.id };
}

/**
 * A member's own API keys, which act as them: audit entries name the person. Any member may
 * make, list and revoke their own; creating and revoking are audited.
 */
export async function personalKeysRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/me/api-keys', {
    schema: { tags: ['api keys'], summary: "List the caller's personal API keys (never the keys themselves)", response: { 200: z.object({ items: z.array(apiKeySchema) }), ...errorResponses } },
    handler: async (request) => {
      const person = personOf(request);
      return { items: await context.apiKeys.list(person.organizationId, { userId: person.userId }) };
    },
  });

  app.post('/v1/me/api-keys', {
    schema: {
      tags: ['api keys'],
      summary: 'Create a personal API key, acting as the caller; the answer is the only time the key is shown',
      description:
        "The key acts as the caller (`actor: { type: 'user' }`) with the lesser of `role` and the caller's role in the organization at the time of each request: demoting the member demotes the key, removing the member disables it. `role` defaults to, and may not exceed, the caller's current role. Audited as `api_key.create`.",
      body: z.object({ name: z.string().trim().min(1).max(200), role: memberRoleSchema.optional() }),
      response: { 201: apiKeyCreatedSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const person = personOf(request);
      const role = request.body.role ?? person.role;
      if (!hasRole(person.role, role)) throw new ForbiddenError({ message: `A ${person.role} cannot create a key with the ${role} role`, details: { required: role, role: person.role } });
      const created = await context.auditedApiKeys.create(person.actor, { organizationId: person.organizationId, name: request.body.name, role, userId: person.userId });
      return reply.code(201).send({ ...created.apiKey, key: created.key });
    },
  });

  app.delete('/v1/me/api-keys/:apiKeyId', {
    schema: {
      tags: ['api keys'],
      summary: 'Revoke one of your personal API keys',
      description: "Another person's key, or an organization key, answers 404 here (admins revoke those with `DELETE /v1/api-keys/:apiKeyId`). Audited as `api_key.revoke`.",
      params: z.object({ apiKeyId: idParam }),
      response: { 200: apiKeySchema, ...errorResponses },
    },
    handler: async (request) => {
      const person = personOf(request);
      return context.auditedApiKeys.revoke(person.actor, { organizationId: person.organizationId, id: request.params.apiKeyId, userId: person.userId });
    },
  });
}
