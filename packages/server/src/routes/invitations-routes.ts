import { type Actor, ConflictError, createUserInputSchema, ForbiddenError, memberRoleSchema, membershipSchema, NotFoundError, UnauthorizedError, type User, ValidationError } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/auth-plugin.js';
import { hasRole } from '../auth/principal.js';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import type { RoutePluginOptions, ServerContext } from '../plumbing/server-context.js';
import { apiKeyCreatedSchema } from './api-keys-routes.js';

const invitationSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: memberRoleSchema,
  invitedBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  acceptedAt: z.string().nullable(),
  acceptedBy: z.string().nullable(),
  revokedAt: z.string().nullable(),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
});
const inviteBody = z.object({
  email: createUserInputSchema.shape.email,
  name: createUserInputSchema.shape.name.optional().describe('The name this organization knows the person by (shown in its members list, never to another organization).'),
  role: memberRoleSchema.default('member'),
  expiresInDays: z.number().int().min(1).max(30).default(7),
});
const acceptBody = z.object({
  token: z.string().min(1).max(200),
  name: createUserInputSchema.shape.name.optional().describe("Your name, as this organization will know you (default: the invitation's); a new account needs one of the two."),
  apiKey: z.boolean().default(true).describe('Answer a personal API key for this organization (a new account always gets one).'),
});
const acceptedSchema = z.object({ membership: membershipSchema, user: z.object({ id: z.string(), email: z.string() }), apiKey: apiKeyCreatedSchema.nullable() });

/**
 * The account an invitation is accepted with: the caller's own (it must be the invited email),
 * or, with no credentials, a new one for the invited email.
 */
async function accepterOf(context: ServerContext, userId: string | null, invitation: { email: string; name: string | null }, body: z.output<typeof acceptBody>): Promise<User> {
  if (userId !== null) {
    const user = await context.vector.users.get(userId).catch((error: unknown) => {
      if (NotFoundError.isInstance(error)) throw new ForbiddenError({ message: 'The credentials name no Vector user' });
      throw error;
    });
    if (user.email !== invitation.email) throw new ForbiddenError({ message: 'This invitation is for another email address' });
    return user;
  }
  if (await context.vector.users.getByEmail(invitation.email)) {
    throw new UnauthorizedError({ message: 'This email already has a Vector account: accept with its credentials ("Authorization: Bearer <personal api key or token>")' });
  }
  const name = body.name ?? invitation.name;
  if (!name) throw new ValidationError({ message: 'A new account needs a name: send "name"', issues: [{ path: ['name'], message: 'required for a new account' }] });
  if (!body.apiKey) throw new ValidationError({ message: 'A new account has no other credentials: it needs its API key', issues: [{ path: ['apiKey'], message: 'must be true for a new account' }] });
  return context.vector.users.create({ email: invitation.email, name });
}

/**
 * Invitations: admins invite an email with a role (the token is answered once; delivering it
 * is the embedding product's job), and the person accepts with their own credentials, or
 * without any as a new account. Creating, revoking and accepting are audited.
 */
export async function invitationsRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { vector } = context;
  const audit = (organizationId: string, actor: Actor, action: string, invitation: { id: string; email: string; role: string }, data: Record<string, unknown> = {}) =>
    vector.scope({ organizationId, actor }).audit.record({ action, entityType: 'invitation', entityId: invitation.id, data: { email: invitation.email, role: invitation.role, ...data } });

  app.post('/v1/invitations', {
    config: { role: 'admin' },
    schema: {
      tags: ['members'],
      summary: 'Invite an email to join the organization; the answer is the only time the token is shown',
      description:
        'Send the token to the person (Vector sends no mail); they accept it with `POST /v1/invitations/accept`. It works once, for `expiresInDays` (default 7). Only owners invite owners. An email that is already a member, or already has a pending invitation, answers 409. Audited as `invitation.create`.',
      body: inviteBody,
      response: { 201: z.object({ invitation: invitationSchema, token: z.string().describe('The invitation token. Shown only here.') }), ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { email, name, role, expiresInDays } = request.body;
      if (!hasRole(principal.role, role)) throw new ForbiddenError({ message: `A ${principal.role} cannot invite a ${role}`, details: { required: role, role: principal.role } });
      // Whether this organization already has the email as a member is its own business; whether the email has an account elsewhere is not told.
      const existing = await vector.users.getByEmail(email);
      if (existing && (await vector.users.getMembership({ organizationId: principal.organizationId, userId: existing.id }))) throw new ConflictError({ message: `${email} is already a member`, details: { userId: existing.id } });
      const created = await context.invitations.create({ organizationId: principal.organizationId, email, name, role, invitedBy: `${principal.actor.type}:${principal.actor.id}`, ttlMs: expiresInDays * 24 * 60 * 60_000 });
      try {
        await audit(principal.organizationId, principal.actor, 'invitation.create', created.invitation, { expiresAt: created.invitation.expiresAt });
      } catch (error) {
        await context.invitations.revoke({ organizationId: principal.organizationId, id: created.invitation.id }).catch(() => undefined);
        throw error;
      }
      return reply.code(201).send(created);
    },
  });

  app.get('/v1/invitations', {
    config: { role: 'admin' },
    schema: { tags: ['members'], summary: "The organization's invitations, newest first (never their tokens)", response: { 200: z.object({ items: z.array(invitationSchema) }), ...errorResponses } },
    handler: async (request) => ({ items: await context.invitations.list(principalOf(request).organizationId) }),
  });

  app.delete('/v1/invitations/:invitationId', {
    config: { role: 'admin' },
    schema: {
      tags: ['members'],
      summary: 'Revoke a pending invitation',
      description: 'Its token stops working. An accepted invitation answers 409 (remove the member instead). Audited as `invitation.revoke`.',
      params: z.object({ invitationId: idParam }),
      response: { 200: invitationSchema, ...errorResponses },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const before = await context.invitations.get({ organizationId: principal.organizationId, id: request.params.invitationId });
      const revoked = await context.invitations.revoke({ organizationId: principal.organizationId, id: request.params.invitationId });
      if (before && before.revokedAt === null) await audit(principal.organizationId, principal.actor, 'invitation.revoke', revoked);
      return revoked;
    },
  });

  app.post('/v1/invitations/accept', {
    config: { auth: false },
    schema: {
      tags: ['members'],
      summary: 'Accept an invitation, as yourself',
      description:
        "With credentials (`Authorization: Bearer` a JWT from the identity provider, a personal API key of another organization, or your own `authenticate`'s session), they must name the invited email's account. Without any, a new account is made for the invited email (an email that already has an account answers 401: accept with its credentials). The person becomes a member with the invitation's role; with `apiKey` (default true; always for a new account) the answer carries a personal API key for this organization, shown only here. An unknown or revoked token answers 404, a used or expired one 409 (`details.reason`). Audited as `member.add` and `invitation.accept`, by the person.",
      body: acceptBody,
      response: { 201: acceptedSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const invitation = await context.invitations.find(request.body.token);
      if (!invitation || invitation.status === 'revoked') throw new NotFoundError({ entity: 'invitation', message: 'No such invitation: the token is unknown, or the invitation was revoked' });
      if (invitation.status !== 'pending') {
        const message = invitation.status === 'accepted' ? 'The invitation was already used' : 'The invitation expired: ask for a new one';
        throw new ConflictError({ message, details: { reason: invitation.status } });
      }
      const userId = await context.identifyPerson(request);
      // Claimed before any account is made, so two accepts at once cannot both proceed.
      if (!(await context.invitations.claim(invitation.id))) throw new ConflictError({ message: 'The invitation is no longer pending', details: { reason: 'accepted' } });
      let user: User;
      let membership: z.infer<typeof membershipSchema>;
      try {
        user = await accepterOf(context, userId, invitation, request.body);
        const actor = { type: 'user' as const, id: user.id };
        const name = request.body.name ?? invitation.name;
        membership = await vector.users.addMember({ organizationId: invitation.organizationId, userId: user.id, role: invitation.role, ...(name ? { name } : {}) }, actor);
        await context.invitations.complete({ id: invitation.id, userId: user.id });
      } catch (error) {
        await context.invitations.release(invitation.id);
        throw error;
      }
      const actor = { type: 'user' as const, id: user.id };
      await audit(invitation.organizationId, actor, 'invitation.accept', invitation, { userId: user.id });
      const created = request.body.apiKey || userId === null ? await context.auditedApiKeys.create(actor, { organizationId: invitation.organizationId, name: 'personal (invitation)', role: invitation.role, userId: user.id }) : null;
      return reply.code(201).send({ membership, user: { id: user.id, email: user.email }, apiKey: created ? { ...created.apiKey, key: created.key } : null });
    },
  });
}
