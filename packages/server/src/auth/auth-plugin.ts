import { ForbiddenError, type MemberRole, UnauthorizedError } from '@vector/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { MCP_PATH } from '../mcp/mcp-routes.js';
import { hasRole, type Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` for routes that need no credentials (health, docs, bootstrap). */
    auth?: boolean;
    /** The least role a caller needs for the route; default `member`. */
    role?: MemberRole;
    /**
     * Also accept a short-lived token in `?access_token=` (checked by the auth plugin's
     * `verifyQueryToken`), for clients that cannot send headers: a browser's `EventSource`.
     */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    /** Set by the auth plugin on authenticated routes. */
    principal: Principal | null;
  }
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  /** Resolves a request's credentials (already bound to the server's built-in authentication). */
  authenticate: (request: FastifyRequest) => Promise<Principal | null>;
  /** Checks an `?access_token=` on routes with `config.queryToken`; without it such tokens are refused. */
  verifyQueryToken?: (token: string, request: FastifyRequest) => Promise<Principal | null>;
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
      const queryToken = config?.queryToken ? accessTokenOf(request) : null;
      // A query token, when sent, decides alone: a bad one is refused even beside a good header.
      const principal = queryToken === null ? await options.authenticate(request) : ((await options.verifyQueryToken?.(queryToken, request)) ?? null);
      await options.limits?.perCaller?.(request, reply, principal);
      if (!principal && queryToken !== null) throw new UnauthorizedError({ message: 'The access token is invalid, expired or for another stream: ask for a new one' });
      if (!principal) throw new UnauthorizedError({ message: 'Missing or invalid credentials: send "Authorization: Bearer <api key or token>"' });
      const required = config?.role ?? 'member';
      if (!hasRole(principal.role, required)) {
        throw new ForbiddenError({ message: `This needs the ${required} role; the caller is ${principal.role}`, details: { required, role: principal.role } });
      }
      request.principal = principal;
    });
  },
  { name: 'vector-auth', fastify: '5.x', dependencies: ['vector-errors'] },
);

function accessTokenOf(request: FastifyRequest): string | null {
  const value = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

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
