import type { Actor, MemberRole } from '@vector/core';
import type { FastifyRequest } from 'fastify';

/** Who made a request: the organization every route is confined to, the actor, and the role. */
export interface Principal {
  organizationId: string;
  actor: Actor;
  role: MemberRole;
}

/**
 * Resolves a request to its principal, or `null` when it carries no valid credentials (401).
 * Replace it through `buildServer({ authenticate })` to use your own auth (sessions, JWTs);
 * the default checks organization API keys.
 */
export type Authenticate = (request: FastifyRequest) => Promise<Principal | null>;

const rank: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

/** True when `role` is at least `required` (owner > admin > member). */
export function hasRole(role: MemberRole, required: MemberRole): boolean {
  return rank[role] >= rank[required];
}
