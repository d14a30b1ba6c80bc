import { idSchema, type MemberRole, memberRoleSchema, parseInput, ProviderError, type UsersApi } from '@vector/core';
import { createRemoteJWKSet, customFetch, errors, type FlattenedJWSInput, type JWSHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';
import { lesserRole, type Principal } from './principal.js';

/**
 * Built-in JWT verification (`buildServer({ jwt })`): bearer tokens that look like JWTs are
 * checked against your identity provider's key set, and their claims name the user, the
 * organization and (optionally) a role.
 */
export interface JwtOptions {
  /** The identity provider's JSON Web Key Set, e.g. `https://idp.example.com/.well-known/jwks.json`. */
  jwksUrl: string;
  /** The `iss` every token must carry. */
  issuer: string;
  /** The `aud` every token must carry (one of them, when several are given). */
  audience: string | string[];
  /**
   * Which claims carry what. Defaults: `userId: 'sub'`, `organizationId: 'org_id'`,
   * `role: 'role'`. The user claim holds the Vector user id (what `vector.users.create`
   * answered); the role claim is optional in tokens.
   */
  claims?: { userId?: string; organizationId?: string; role?: string };
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Accepted signature algorithms. Default: asymmetric ones only (RS*, PS*, ES*, EdDSA). */
  algorithms?: string[];
  /** How key-set requests are made (tests, proxies). Default: the global `fetch`. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

const claimName = z.string().min(1).max(100);
const jwtOptionsSchema = z.object({
  jwksUrl: z.string().url().regex(/^https?:\/\//, 'expected an http(s) URL'),
  issuer: z.string().min(1).max(2000),
  audience: z.union([z.string().min(1).max(2000), z.array(z.string().min(1).max(2000)).min(1)]),
  claims: z.object({ userId: claimName.optional(), organizationId: claimName.optional(), role: claimName.optional() }).strict().optional(),
  clockToleranceSeconds: z.number().int().min(0).max(300).optional(),
  algorithms: z.array(z.string().min(1).max(20)).min(1).optional(),
  fetch: z.custom<JwtOptions['fetch']>((value) => typeof value === 'function', 'expected a function').optional(),
}).strict();

const defaultAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Who a verified JWT names. `organizationId` and `role` are null when the token lacks them. */
export interface JwtIdentity {
  userId: string;
  organizationId: string | null;
  role: MemberRole | null;
}

/** Verifies JWTs; see {@link createJwtAuthenticator}. */
export interface JwtAuthenticator {
  /**
   * The person a token names, checked (signature, `exp` required, `iss`, `aud`): null for an
   * invalid or expired token, or one whose claims are malformed (a role Vector does not have).
   *
   * @throws ProviderError (retryable) when the key set cannot be fetched.
   */
  identify(token: string): Promise<JwtIdentity | null>;
  /**
   * The principal of a token: its user, who must be a member of its organization in core, with
   * the lesser of the token's role (when it has one) and the member's current role.
   */
  authenticate(token: string): Promise<Principal | null>;
}

const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** True for a token shaped like a signed JWT (three base64url parts); API keys never are. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= 16_384 && jwtShape.test(token);
}

// A key set that cannot be read (down, slow, not a key set) is the provider's failure, not the caller's.
function keySetUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';
}

function stringClaim(payload: JWTPayload, name: string): string | null | undefined {
  const value = payload[name];
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks JWTs against a remote key set (fetched on first use, kept ten minutes, fetched again
 * when a token names an unknown key, at most every 30 s). One key set per authenticator: two
 * servers never share one.
 *
 * @throws ValidationError for malformed options.
 */
export function createJwtAuthenticator(options: JwtOptions, users: Pick<UsersApi, 'getMembership'>): JwtAuthenticator {
  const parsed = parseInput(jwtOptionsSchema, options, 'jwt options');
  const claims = { userId: parsed.claims?.userId ?? 'sub', organizationId: parsed.claims?.organizationId ?? 'org_id', role: parsed.claims?.role ?? 'role' };
  const keySet = createRemoteJWKSet(new URL(parsed.jwksUrl), parsed.fetch ? { [customFetch]: parsed.fetch } : {});
  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (!keySetUnavailable(error)) throw error;
      throw new ProviderError({ provider: 'jwks', message: 'The identity provider’s key set could not be read; try again', isRetryable: true, cause: error });
    }
  };

  async function identify(token: string): Promise<JwtIdentity | null> {
    if (!looksLikeJwt(token)) return null;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: parsed.issuer,
        audience: parsed.audience,
        algorithms: parsed.algorithms ?? defaultAlgorithms,
        clockTolerance: parsed.clockToleranceSeconds ?? 5,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (ProviderError.isInstance(error)) throw error;
      return null;
    }
    const userId = stringClaim(payload, claims.userId);
    const organizationId = stringClaim(payload, claims.organizationId);
    const role = payload[claims.role];
    if (!userId || !idSchema.safeParse(userId).success || organizationId === undefined) return null;
    if (organizationId !== null && !idSchema.safeParse(organizationId).success) return null;
    const parsedRole = role === undefined || role === null ? null : memberRoleSchema.safeParse(role);
    if (parsedRole && !parsedRole.success) return null;
    return { userId, organizationId, role: parsedRole ? parsedRole.data : null };
  }

  return {
    identify,
    async authenticate(token) {
      const identity = await identify(token);
      if (!identity?.organizationId) return null;
      const membership = await users.getMembership({ organizationId: identity.organizationId, userId: identity.userId });
      if (!membership) return null;
      return {
        organizationId: identity.organizationId,
        actor: { type: 'user', id: identity.userId },
        role: identity.role ? lesserRole(identity.role, membership.role) : membership.role,
      };
    },
  };
}
