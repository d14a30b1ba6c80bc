import { ForbiddenError, UnauthorizedError } from '@vector/core';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from './auth-plugin.js';
import { type JwtAuthenticator, looksLikeJwt } from './jwt-authenticator.js';
import type { Principal } from './principal.js';

/**
 * Who a request's credentials name as a person, in whichever organization they were issued
 * for: the user id, or null when the request carries none. For accepting an invitation,
 * where the person is not yet a member of the organization they join.
 */
export type IdentifyPerson = (request: FastifyRequest) => Promise<string | null>;

/**
 * A JWT (with built-in verification) names its user whether or not they are a member anywhere
 * yet; other credentials go through the server's authentication and must stand for a person
 * (a personal API key, or your `authenticate` answering a `user` actor).
 */
export function createPersonIdentifier(input: { authenticate: (request: FastifyRequest) => Promise<Principal | null>; jwt: JwtAuthenticator | null }): IdentifyPerson {
  return async (request) => {
    const token = bearerToken(request);
    if (token !== null && input.jwt && looksLikeJwt(token)) {
      const identity = await input.jwt.identify(token);
      if (!identity) throw new UnauthorizedError({ message: 'The token is invalid or expired' });
      return identity.userId;
    }
    const principal = await input.authenticate(request);
    if (!principal) {
      // Credentials that were sent and failed are refused; without any, the caller is nobody yet.
      if (request.headers.authorization !== undefined) throw new UnauthorizedError({ message: 'Missing or invalid credentials: send "Authorization: Bearer <api key or token>"' });
      return null;
    }
    if (principal.actor.type !== 'user') {
      throw new ForbiddenError({ message: "This takes a person's credentials (a personal API key, a JWT, your session), not an organization's API key" });
    }
    return principal.actor.id;
  };
}
