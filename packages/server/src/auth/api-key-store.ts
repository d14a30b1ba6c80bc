import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, type MemberRole, NotFoundError } from '@vector/core';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { hasRole, type Principal } from './principal.js';
import type { ServerDatabase } from './server-migrations.js';

/** An API key as listed: never the key itself. */
export interface ApiKey {
  id: string;
  organizationId: string;
  name: string;
  role: MemberRole;
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Organization API keys: created (shown once), verified by hash, listed, revoked. */
export interface ApiKeyStore {
  create(input: { organizationId: string; name: string; role: MemberRole; createdBy: string }): Promise<{ apiKey: ApiKey; key: string }>;
  list(organizationId: string): Promise<ApiKey[]>;
  /**
   * Revokes a key (idempotent). With `callerRole`, a key whose role outranks the caller's is
   * refused with `ForbiddenError`, so an admin cannot lock the owners out.
   */
  revoke(input: { organizationId: string; id: string; callerRole?: MemberRole }): Promise<ApiKey>;
  /**
   * The principal a presented key stands for, or null when unknown or revoked. Records
   * `lastUsedAt`, at most once a minute per key so a busy key does not cost a write per request.
   */
  verify(key: string): Promise<Principal | null>;
}

const keyPattern = /^vk_[A-Za-z0-9_-]{43}$/;

/** How long a verified key is trusted without asking the database again: 5 s. */
export const DEFAULT_API_KEY_CACHE_MS = 5_000;

/** Options of {@link createApiKeyStore}. */
export interface ApiKeyStoreOptions {
  /**
   * How long a verified key is served from memory, in milliseconds; 0 asks the database on
   * every request. A revoke through this store takes effect at once here; on other server
   * processes sharing the database it takes effect within this time. Default 5 s.
   */
  cacheMs?: number;
  /** Most keys kept in memory; the least recently used is dropped first. Default 10,000. */
  maxCachedKeys?: number;
}

interface CachedKey {
  id: string;
  principal: Principal;
  lastUsedAt: string | null;
}
const lastUsedResolutionMs = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

type Row = ServerDatabase['vector_server_api_keys'];

function toApiKey(row: Row): ApiKey {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    role: row.role as MemberRole,
    prefix: row.prefix,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * API keys in the `vector_server_api_keys` table. Keys carry 256 random bits, so a plain
 * sha256 is a safe verifier (no salt or slow hash needed, unlike passwords).
 */
export function createApiKeyStore(db: Kysely<ServerDatabase>, now: () => Date = () => new Date(), options: ApiKeyStoreOptions = {}): ApiKeyStore {
  const cacheMs = options.cacheMs ?? DEFAULT_API_KEY_CACHE_MS;
  const maxCached = options.maxCachedKeys ?? 10_000;
  // Verified keys by hash: a hit skips the database; entries expire `cacheMs` after they were
  // read, and a revoke through this store drops its key at once. Failed lookups are never cached.
  const cache = cacheMs > 0 ? new LRUCache<string, CachedKey>({ max: maxCached, ttl: cacheMs, ttlResolution: 0, perf: { now: () => now().getTime() } }) : null;
  return {
    async create(input) {
      const key = `vk_${randomBytes(32).toString('base64url')}`;
      const row: Row = {
        id: randomUUID(),
        organization_id: input.organizationId,
        name: input.name,
        role: input.role,
        key_hash: hashKey(key),
        prefix: key.slice(0, 10),
        created_by: input.createdBy,
        created_at: now().toISOString(),
        last_used_at: null,
        revoked_at: null,
      };
      await db.insertInto('vector_server_api_keys').values(row).execute();
      return { apiKey: toApiKey(row), key };
    },
    async list(organizationId) {
      const rows = await db.selectFrom('vector_server_api_keys').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toApiKey);
    },
    async revoke(input) {
      const row = await db.selectFrom('vector_server_api_keys').selectAll().where('id', '=', input.id).where('organization_id', '=', input.organizationId).executeTakeFirst();
      if (!row) throw new NotFoundError({ entity: 'api key', id: input.id });
      const role = row.role as MemberRole;
      if (input.callerRole && !hasRole(input.callerRole, role)) {
        throw new ForbiddenError({ message: `A ${input.callerRole} cannot revoke a key with the ${role} role`, details: { required: role, role: input.callerRole } });
      }
      cache?.delete(row.key_hash);
      if (row.revoked_at) return toApiKey(row);
      const revokedAt = now().toISOString();
      await db.updateTable('vector_server_api_keys').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
      cache?.delete(row.key_hash);
      return toApiKey({ ...row, revoked_at: revokedAt });
    },
    async verify(key) {
      if (!keyPattern.test(key)) return null;
      const hash = hashKey(key);
      const usedAt = now();
      let entry = cache?.get(hash);
      if (!entry) {
        const row = await db.selectFrom('vector_server_api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
        // The lookup is by hash, so timing reveals nothing about the key; compare anyway for defence in depth.
        if (!row || row.revoked_at || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return null;
        entry = {
          id: row.id,
          principal: { organizationId: row.organization_id, actor: { type: 'api_key', id: row.id }, role: row.role as MemberRole },
          lastUsedAt: row.last_used_at,
        };
        cache?.set(hash, entry);
      }
      const stale = new Date(usedAt.getTime() - lastUsedResolutionMs).toISOString();
      if (entry.lastUsedAt === null || entry.lastUsedAt < stale) {
        entry.lastUsedAt = usedAt.toISOString();
        // Conditional, so concurrent requests of one key (or several servers) write once; ISO-8601
        // UTC strings sort by time. A failed bookkeeping write must not fail the request it belongs to.
        await db
          .updateTable('vector_server_api_keys')
          .set({ last_used_at: usedAt.toISOString() })
          .where('id', '=', entry.id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', stale)]))
          .execute()
          .catch(() => undefined);
      }
      return { ...entry.principal, actor: { ...entry.principal.actor } };
    },
  };
}
