import { timingSafeEqual } from 'node:crypto';
import {
  createOrganizationInputSchema,
  createUserInputSchema,
  ForbiddenError,
  memberSchema,
  membershipInputSchema,
  membershipSchema,
  organizationSchema,
  UnauthorizedError,
  updateOrganizationInputSchema,
} from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerToken, principalOf } from '../auth/auth-plugin.js';
import { hasRole } from '../auth/principal.js';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import type { RoutePluginOptions } from '../plumbing/server-context.js';
import { apiKeyCreatedSchema } from './api-keys-routes.js';

// Bodies from core's inputs. Only the HTTP API creates an organization with its first owner.
const createOrganizationBody = createOrganizationInputSchema.extend({ owner: createUserInputSchema.optional() });
// Core's patch (unknown fields refused); over HTTP it must change something.
const updateOrganizationBody = updateOrganizationInputSchema.refine((patch) => patch.name !== undefined || patch.monthlyBudgetUsd !== undefined, {
  message: 'send name and/or monthlyBudgetUsd',
});
const roleBody = membershipInputSchema.pick({ role: true });

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The caller's organization and its members. Creating an organization is the bootstrap step:
 * it answers the organization and its first owner API key (shown once).
 */
export async function organizationsRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { vector } = context;

  app.post('/v1/organizations', {
    config: { auth: false },
    schema: {
      tags: ['organizations'],
      summary: 'Create an organization and its first owner API key',
      description: 'Needs `Authorization: Bearer <VECTOR_BOOTSTRAP_TOKEN>` when the server has one; open otherwise (development).',
      body: createOrganizationBody,
      response: { 201: z.object({ organization: organizationSchema, apiKey: apiKeyCreatedSchema }), ...errorResponses },
    },
    handler: async (request, reply) => {
      if (context.bootstrapToken !== undefined) {
        const token = bearerToken(request);
        if (!token || !sameSecret(token, context.bootstrapToken)) throw new UnauthorizedError({ message: 'Creating an organization needs the bootstrap token: "Authorization: Bearer <VECTOR_BOOTSTRAP_TOKEN>"' });
      } else if (!context.openSignup) {
        throw new ForbiddenError({ message: 'Creating organizations over HTTP is disabled on this server' });
      }
      const actor = { type: 'system' as const, id: 'bootstrap' };
      const { name, slug, monthlyBudgetUsd } = request.body;
      const organization = await vector.organizations.create({ name, ...(slug ? { slug } : {}), ...(monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd }) }, actor);
      if (request.body.owner) {
        const user = (await vector.users.getByEmail(request.body.owner.email)) ?? (await vector.users.create(request.body.owner));
        await vector.users.addMember({ organizationId: organization.id, userId: user.id, role: 'owner', name: request.body.owner.name }, actor);
      }
      const created = await context.auditedApiKeys.create(actor, { organizationId: organization.id, name: 'owner (bootstrap)', role: 'owner' });
      return reply.code(201).send({ organization, apiKey: { ...created.apiKey, key: created.key } });
    },
  });

  app.get('/v1/organization', {
    schema: { tags: ['organizations'], summary: "The caller's organization", response: { 200: organizationSchema, ...errorResponses } },
    handler: async (request) => vector.organizations.get(principalOf(request).organizationId),
  });

  app.patch('/v1/organization', {
    config: { role: 'admin' },
    schema: {
      tags: ['organizations'],
      summary: 'Rename the organization or set its monthly budget',
      description:
        "`monthlyBudgetUsd` (US dollars, > 0, or null for none) caps what the organization's model calls may cost per calendar month (UTC): once this month's cost reaches it, posting a message answers 402 `BUDGET_EXCEEDED`. Jobs already queued or running finish.",
      body: updateOrganizationBody,
      response: { 200: organizationSchema, ...errorResponses },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      return vector.organizations.update(principal.organizationId, request.body, principal.actor);
    },
  });

  app.delete('/v1/organization', {
    config: { role: 'owner' },
    schema: { tags: ['organizations'], summary: 'Delete the organization and everything in it', response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      await vector.organizations.delete(principal.organizationId, principal.actor);
      for (const key of await context.apiKeys.list(principal.organizationId)) await context.apiKeys.revoke({ organizationId: principal.organizationId, id: key.id });
      await context.invitations.revokeAll(principal.organizationId);
      return reply.code(204).send(null);
    },
  });

  app.get('/v1/organization/members', {
    schema: {
      tags: ['members'],
      summary: 'List members',
      description:
        "Each member with what this organization recorded: the account's email and the name given when it invited them (or null). Users are shared across organizations, so a user's stored profile (a name another organization gave them, when the account was made) is never shown. Members join through invitations (`POST /v1/invitations`).",
      response: { 200: z.object({ items: z.array(memberSchema) }), ...errorResponses },
    },
    handler: async (request) => ({ items: await vector.users.listMembers(principalOf(request).organizationId) }),
  });

  app.patch('/v1/organization/members/:userId', {
    config: { role: 'admin' },
    schema: { tags: ['members'], summary: "Change a member's role", params: z.object({ userId: idParam }), body: roleBody, response: { 200: membershipSchema, ...errorResponses } },
    handler: async (request) => {
      const principal = principalOf(request);
      const current = await vector.users.getMembership({ organizationId: principal.organizationId, userId: request.params.userId });
      if ((request.body.role === 'owner' || current?.role === 'owner') && !hasRole(principal.role, 'owner')) throw new ForbiddenError({ message: 'Only owners can grant or change the owner role' });
      return vector.users.updateMemberRole({ organizationId: principal.organizationId, userId: request.params.userId, role: request.body.role }, principal.actor);
    },
  });

  app.delete('/v1/organization/members/:userId', {
    config: { role: 'admin' },
    schema: { tags: ['members'], summary: 'Remove a member (and revoke their personal API keys)', params: z.object({ userId: idParam }), response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const current = await vector.users.getMembership({ organizationId: principal.organizationId, userId: request.params.userId });
      if (current?.role === 'owner' && !hasRole(principal.role, 'owner')) throw new ForbiddenError({ message: 'Only owners can remove an owner' });
      await vector.users.removeMember({ organizationId: principal.organizationId, userId: request.params.userId }, principal.actor);
      // Their personal keys stop working while they are not a member; revoked, they stay dead if the person joins again.
      await context.auditedApiKeys.revokePersonal(principal.actor, { organizationId: principal.organizationId, userId: request.params.userId });
      return reply.code(204).send(null);
    },
  });
}
