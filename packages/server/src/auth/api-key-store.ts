import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, type MemberRole, NotFoundError, UnsupportedError, type UsersApi } from '@vector/core';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import { hasRole, lesserRole, type Principal } from './principal.js';
import type { ServerDatabase } from './server-migrations.js';

/** An API key as listed: never the key itself. */
export interface ApiKey {
  id: string;
  organizationId: string;
  name: string;
  /**
   * The role the key grants. For a personal key, the most it grants: it acts with the lesser of
   * this and its member's current role.
   */
  role: MemberRole;
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** A personal key's member (user id): the key acts as that person. Null for an organization's key. */
  userId: string | null;
}

/**
 * API keys: created (shown once), verified by hash, listed, revoked. An organization's key
 * acts as itself (`{ type: 'api_key', id }`); a personal key (with `userId`) acts as its member
 * (`{ type: 'user', id: userId }`) with the lesser of its `role` and the member's current role,
 * and stops working while the person is not a member.
 */
export interface ApiKeyStore {
  /** @throws UnsupportedError for a personal key when the store was made without `users`. */
  create(input: { organizationId: string; name: string; role: MemberRole; createdBy: string; userId?: string }): Promise<{ apiKey: ApiKey; key: string }>;
  /** One of the organization's keys, or null (another organization's id is unknown here). */
  get(input: { organizationId: string; id: string }): Promise<ApiKey | null>;
  /** The organization's keys, oldest first; with `userId`, that member's personal keys. */
  list(organizationId: string, filter?: { userId?: string }): Promise<ApiKey[]>;
  /**
   * Revokes a key (idempotent). With `callerRole`, a key whose role outranks the caller's is
   * refused with `ForbiddenError`, so an admin cannot lock the owners out (a personal key counts
   * with its member's current role). With `userId`, only that member's personal key is found.
   */
  revoke(input: { organizationId: string; id: string; callerRole?: MemberRole; userId?: string }): Promise<ApiKey>;
  /** Revokes every personal key of one member (when they leave); answers those it revoked. */
  revokePersonal(input: { organizationId: string; userId: string }): Promise<ApiKey[]>;
  /**
   * The principal a presented key stands for, or null when unknown or revoked (or, for a
   * personal key, when its user is no longer a member). Records `lastUsedAt`, at most once a
   * minute per key so a busy key does not cost a write per request.
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
  /**
   * Core's users (`vector.users`), which personal keys need: their role is their member's
   * current role, read on every request (never cached), so a demotion or removal counts at once.
   * Without it, personal keys cannot be created and do not verify.
   */
  users?: Pick<UsersApi, 'getMembership'>;
}

interface CachedKey {
  id: string;
  principal: Principal;
  /** A personal key's member, whose current role is read on every use. */
  userId: string | null;
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
    userId: row.user_id,
  };
}

/**
 * API keys in the `vector_server_api_keys` table. Keys carry 256 random bits, so a plain
 * sha256 is a safe verifier (no salt or slow hash needed, unlike passwords).
 */
export function createApiKeyStore(db: Kysely<ServerDatabase>, now: () => Date = () => new Date(), options: ApiKeyStoreOptions = {}): ApiKeyStore {
  const cacheMs = options.cacheMs ?? DEFAULT_API_KEY_CACHE_MS;
  const maxCached = options.maxCachedKeys ?? 10_000;
  const users = options.users;
  // Verified keys by hash: a hit skips the database; entries expire `cacheMs` after they were
  // read, and a revoke through this store drops its key at once. Failed lookups are never cached.
  const cache = cacheMs > 0 ? new LRUCache<string, CachedKey>({ max: maxCached, ttl: cacheMs, ttlResolution: 0, perf: { now: () => now().getTime() } }) : null;

  /** The role a key acts with now: its own, or for a personal key the lesser of it and its member's; null when the member left. */
  async function currentRole(input: { organizationId: string; role: MemberRole; userId: string | null }): Promise<MemberRole | null> {
    if (input.userId === null) return input.role;
    if (!users) return null;
    const membership = await users.getMembership({ organizationId: input.organizationId, userId: input.userId });
    return membership ? lesserRole(input.role, membership.role) : null;
  }

  async function markRevoked(row: Row): Promise<ApiKey> {
    cache?.delete(row.key_hash);
    if (row.revoked_at) return toApiKey(row);
    const revokedAt = now().toISOString();
    await db.updateTable('vector_server_api_keys').set({ revoked_at: revokedAt }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    cache?.delete(row.key_hash);
    return toApiKey({ ...row, revoked_at: revokedAt });
  }

  return {
    async create(input) {
      if (input.userId !== undefined && !users) throw new UnsupportedError({ message: 'Personal API keys need the store to read memberships: pass `users` (vector.users) to createApiKeyStore' });
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
        user_id: input.userId ?? null,
      };
      await db.insertInto('vector_server_api_keys').values(row).execute();
      return { apiKey: toApiKey(row), key };
    },
    async get(input) {
      const row = await db.selectFrom('vector_server_api_keys').selectAll().where('id', '=', input.id).where('organization_id', '=', input.organizationId).executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async list(organizationId, filter = {}) {
      let query = db.selectFrom('vector_server_api_keys').selectAll().where('organization_id', '=', organizationId);
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toApiKey);
    },
    async revoke(input) {
      let query = db.selectFrom('vector_server_api_keys').selectAll().where('id', '=', input.id).where('organization_id', '=', input.organizationId);
      if (input.userId !== undefined) query = query.where('user_id', '=', input.userId);
      const row = await query.executeTakeFirst();
      if (!row) throw new NotFoundError({ entity: 'api key', id: input.id });
      if (input.callerRole) {
        // A personal key whose member left grants nothing: anyone who may revoke keys may revoke it.
        const role = (await currentRole({ organizationId: row.organization_id, role: row.role as MemberRole, userId: row.user_id })) ?? 'member';
        if (!hasRole(input.callerRole, role)) {
          throw new ForbiddenError({ message: `A ${input.callerRole} cannot revoke a key with the ${role} role`, details: { required: role, role: input.callerRole } });
        }
      }
      return markRevoked(row);
    },
    async revokePersonal(input) {
      const rows = await db
        .selectFrom('vector_server_api_keys')
        .selectAll()
        .where('organization_id', '=', input.organizationId)
        .where('user_id', '=', input.userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const revoked: ApiKey[] = [];
      for (const row of rows) revoked.push(await markRevoked(row));
      return revoked;
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
        const actor = row.user_id === null ? { type: 'api_key' as const, id: row.id } : { type: 'user' as const, id: row.user_id };
        entry = {
          id: row.id,
          principal: { organizationId: row.organization_id, actor, role: row.role as MemberRole },
          userId: row.user_id,
          lastUsedAt: row.last_used_at,
        };
        cache?.set(hash, entry);
      }
      // A personal key acts with its member's current role: read every time, so a demotion or a
      // removal counts on the next request, on every process.
      const role = await currentRole({ organizationId: entry.principal.organizationId, role: entry.principal.role, userId: entry.userId });
      if (role === null) return null;
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
      return { ...entry.principal, role, actor: { ...entry.principal.actor } };
    },
  };
}
