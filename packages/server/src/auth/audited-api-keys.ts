import type { Actor, MemberRole, Vector } from '@vector/core';
import type { ApiKey, ApiKeyStore } from './api-key-store.js';

/**
 * API keys whose creation and revocation are written to the organization's audit log (core's
 * `audit.record`), as the actor who did it. The key and its entry live in two stores: a key
 * whose entry cannot be written is revoked again, so no working key goes unaudited.
 */
export interface AuditedApiKeys {
  create(actor: Actor, input: { organizationId: string; name: string; role: MemberRole; userId?: string }): Promise<{ apiKey: ApiKey; key: string }>;
  revoke(actor: Actor, input: { organizationId: string; id: string; callerRole?: MemberRole; userId?: string }): Promise<ApiKey>;
  /** Revokes a member's personal keys (they left), one entry each. */
  revokePersonal(actor: Actor, input: { organizationId: string; userId: string }): Promise<ApiKey[]>;
}

const summaryOf = (apiKey: ApiKey) => ({ name: apiKey.name, role: apiKey.role, prefix: apiKey.prefix, userId: apiKey.userId });

/** Wraps `apiKeys` so every create and revoke is audited in `vector`. */
export function createAuditedApiKeys(vector: Vector, apiKeys: ApiKeyStore): AuditedApiKeys {
  const record = (actor: Actor, organizationId: string, action: 'api_key.create' | 'api_key.revoke', apiKey: ApiKey, extra: Record<string, unknown> = {}) =>
    vector.scope({ organizationId, actor }).audit.record({ action, entityType: 'api_key', entityId: apiKey.id, data: { ...summaryOf(apiKey), ...extra } });
  return {
    async create(actor, input) {
      const created = await apiKeys.create({ ...input, createdBy: `${actor.type}:${actor.id}` });
      try {
        await record(actor, input.organizationId, 'api_key.create', created.apiKey);
      } catch (error) {
        await apiKeys.revoke({ organizationId: input.organizationId, id: created.apiKey.id }).catch(() => undefined);
        throw error;
      }
      return created;
    },
    async revoke(actor, input) {
      const before = await apiKeys.get({ organizationId: input.organizationId, id: input.id });
      const revoked = await apiKeys.revoke(input);
      // Revoking a revoked key changes nothing, and is not recorded again.
      if (before && before.revokedAt === null) await record(actor, input.organizationId, 'api_key.revoke', revoked);
      return revoked;
    },
    async revokePersonal(actor, input) {
      const revoked = await apiKeys.revokePersonal(input);
      for (const apiKey of revoked) await record(actor, input.organizationId, 'api_key.revoke', apiKey, { reason: 'member removed' });
      return revoked;
    },
  };
}
