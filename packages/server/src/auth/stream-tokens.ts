import { type Actor, actorSchema, idSchema } from '@vector/core';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Principal } from './principal.js';
import { readServerSecret } from './server-secret.js';
import type { ServerDatabase } from './server-migrations.js';

/** How long a stream token works: 10 minutes. */
export const STREAM_TOKEN_TTL_MS = 10 * 60_000;

const issuer = 'vector-server';

/** The stream a token opens: one job's events, or one deployment's logs. */
export interface StreamTarget {
  kind: 'job' | 'deployment';
  id: string;
}

// One audience per kind of stream, so a job's token never opens a deployment's logs (or the reverse).
const audiences: Record<StreamTarget['kind'], string> = { job: 'vector:job-events', deployment: 'vector:deployment-logs' };

/**
 * Short-lived tokens for following one stream where no `Authorization` header can be sent (a
 * browser's `EventSource`): HS256 JWTs under a key the server keeps in its database, naming the
 * job or deployment, its organization and who asked. They open that one stream only.
 */
export interface StreamTokens {
  /** A token for `stream` (looked up in the caller's organization beforehand). */
  issue(input: { organizationId: string; stream: StreamTarget; actor: Actor }): Promise<{ token: string; expiresAt: string }>;
  /**
   * The principal a token stands for on `stream`: who asked for it, in its organization, with
   * the member role (streams only read). Null when forged, expired, or for another stream.
   */
  verify(token: string, stream: StreamTarget): Promise<Principal | null>;
}

/** Stream tokens signed with the server's `stream_token_key` (made on first use, read once per instance). */
export function createStreamTokens(db: Kysely<ServerDatabase>, now: () => Date = () => new Date()): StreamTokens {
  let key: Promise<Uint8Array> | null = null;
  const signingKey = () => {
    if (!key) {
      key = readServerSecret(db, 'stream_token_key', now);
      // A failed read (the database away) is tried again next time.
      key.catch(() => (key = null));
    }
    return key;
  };
  return {
    async issue(input) {
      const issuedAt = now();
      const expiresAt = new Date(issuedAt.getTime() + STREAM_TOKEN_TTL_MS);
      const token = await new SignJWT({ org: input.organizationId, act: { type: input.actor.type, id: input.actor.id } })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audiences[input.stream.kind])
        .setSubject(input.stream.id)
        .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(await signingKey());
      return { token, expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString() };
    },
    async verify(token, stream) {
      if (token.length > 4096) return null;
      try {
        const { payload } = await jwtVerify(token, await signingKey(), { algorithms: ['HS256'], issuer, audience: audiences[stream.kind], subject: stream.id, requiredClaims: ['exp'], currentDate: now() });
        const organizationId = idSchema.safeParse(payload.org);
        const actor = actorSchema.safeParse(payload.act);
        if (!organizationId.success || !actor.success) return null;
        return { organizationId: organizationId.data, actor: actor.data, role: 'member' };
      } catch (error) {
        if (error instanceof errors.JOSEError) return null;
        throw error;
      }
    },
  };
}
