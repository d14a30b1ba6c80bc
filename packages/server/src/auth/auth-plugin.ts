import { ForbiddenError, type MemberRole, UnauthorizedError } from '@vector/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { MCP_PATH } from '../mcp/mcp-routes.js';
import { type Authenticate, hasRole, type Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` for routes that need no credentials (health, docs, bootstrap). */
    auth?: boolean;
    /** The least role a caller needs for the route; default `member`. */
    role?: MemberRole;
  }
  interface FastifyRequest {
    /** Set by the auth plugin on authenticated routes. */
    principal: Principal | null;
  }
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  authenticate: Authenticate;
  /**
   * Runs after authentication (also when it failed, and on `/v1` routes that need none) so
   * rate limits count verified callers, never the raw token. Filled by the rate-limit plugin.
   */
  limits?: { perCaller: ((request: FastifyRequest, reply: FastifyReply, principal: Principal | null) => Promise<void>) | null };
}

/**
 * Authenticates every `/v1` route and `/mcp` (unless its config says `auth: false`) and enforces the
 * route's minimum role. Unauthenticated calls answer 401, too weak a role 403.
 */
export const authPlugin = fastifyPlugin<AuthPluginOptions>(
  async (app: FastifyInstance, options) => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request, reply) => {
      const config = request.routeOptions.config;
      // Decide by the matched route, never the raw target: `GET http://host/v1/…` (absolute form)
      // or odd encodings must not slip past. Unmatched routes answer 404 without a lookup.
      const route = request.routeOptions.url;
      if (route === undefined || !(route.startsWith('/v1/') || route === MCP_PATH)) return;
      if (config?.auth === false) {
        await options.limits?.perCaller?.(request, reply, null);
        return;
      }
      const principal = await options.authenticate(request);
      await options.limits?.perCaller?.(request, reply, principal);
      if (!principal) throw new UnauthorizedError({ message: 'Missing or invalid credentials: send "Authorization: Bearer <api key>"' });
      const required = config?.role ?? 'member';
      if (!hasRole(principal.role, required)) {
        throw new ForbiddenError({ message: `This needs the ${required} role; the caller is ${principal.role}`, details: { required, role: principal.role } });
      }
      request.principal = principal;
    });
  },
  { name: 'vector-auth', fastify: '5.x', dependencies: ['vector-errors'] },
);

/** The bearer token of a request, if any. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** The principal of an authenticated request; throws when a route forgot to require auth. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError({ message: 'This route needs credentials' });
  return request.principal;
}
