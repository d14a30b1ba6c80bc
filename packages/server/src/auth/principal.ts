import type { Actor, MemberRole } from '@vector/core';
import type { FastifyRequest } from 'fastify';

/** Who made a request: the organization every route is confined to, the actor, and the role. */
export interface Principal {
  organizationId: string;
  /**
   * Who acts: `{ type: 'user', id }` for a person (a personal API key, a JWT, your own
   * sessions), `{ type: 'api_key', id }` for an organization's key. Audit entries name it.
   */
  actor: Actor;
  role: MemberRole;
}

/** What the server hands a custom {@link Authenticate} besides the request. */
export interface AuthenticateTools {
  /**
   * The server's own authentication: API keys (organization and personal), and JWTs when
   * `buildServer({ jwt })` is set. Call it to keep them working beside your own credentials.
   */
  builtIn: (request: FastifyRequest) => Promise<Principal | null>;
}

/**
 * Resolves a request to its principal, or `null` when it carries no valid credentials (401).
 * Replace it through `buildServer({ authenticate })` to use your own auth (sessions, JWTs);
 * the default checks API keys (and JWTs when configured). Throwing a `VectorError` answers
 * with its code (e.g. `UnauthorizedError` → 401 with your message).
 */
export type Authenticate = (request: FastifyRequest, tools: AuthenticateTools) => Promise<Principal | null>;

const rank: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

/** True when `role` is at least `required` (owner > admin > member). */
export function hasRole(role: MemberRole, required: MemberRole): boolean {
  return rank[role] >= rank[required];
}

/** The weaker of two roles. */
export function lesserRole(first: MemberRole, second: MemberRole): MemberRole {
  return rank[first] <= rank[second] ? first : second;
}
