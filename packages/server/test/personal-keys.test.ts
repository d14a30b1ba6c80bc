import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { createApiKeyStore, type ServerDatabase } from '../src/index.js';
import type { Kysely } from 'kysely';
import { useServer } from './server-fixture.js';

interface AuditEntry {
  action: string;
  actor: { type: string; id: string };
  entityId: string;
  data: Record<string, unknown>;
}

describeEachDatabase('personal API keys', (database) => {
  const get = useServer(database);

  /** A new member of organization A with `role`, and the personal key their invitation answered. */
  async function join(email: string, role: 'owner' | 'admin' | 'member') {
    const { call, app } = get();
    const invited = (await call('POST', '/v1/invitations', { email, name: email.split('@')[0], role })).json;
    const accepted = (await app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: invited.token } })).json();
    return { userId: accepted.user.id as string, key: accepted.apiKey.key as string, keyId: accepted.apiKey.id as string };
  }
  const audit = async (query = '') => (await get().call('GET', `/v1/audit?limit=200${query}`)).json.items as AuditEntry[];

  it("writes the member's own user id into the audit entries of what their key does; creating and revoking keys is audited", async () => {
    const { call } = get();
    const dana = await join('dana@example.com', 'admin');
    const created = await call('POST', '/v1/me/api-keys', { name: 'laptop' }, dana.key);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'laptop', role: 'admin', userId: dana.userId, createdBy: `user:${dana.userId}` });
    const project = await call('POST', '/v1/projects', { name: "Dana's" }, created.json.key);
    const projectEntry = (await audit('&action=project.create')).find((entry) => entry.entityId === project.json.id);
    expect(projectEntry?.actor).toEqual({ type: 'user', id: dana.userId });

    const keyCreated = (await audit('&action=api_key.create')).find((entry) => entry.entityId === created.json.id);
    expect(keyCreated).toMatchObject({ actor: { type: 'user', id: dana.userId }, data: { name: 'laptop', role: 'admin', userId: dana.userId } });
    expect(JSON.stringify(keyCreated)).not.toContain(created.json.key);

    const listed = await call('GET', '/v1/me/api-keys', undefined, created.json.key);
    expect(listed.json.items.map((item: { id: string }) => item.id).sort()).toEqual([dana.keyId, created.json.id].sort());
    const revoked = await call('DELETE', `/v1/me/api-keys/${created.json.id}`, undefined, dana.key);
    expect(revoked.json.revokedAt).toEqual(expect.any(String));
    expect((await call('GET', '/v1/projects', undefined, created.json.key)).status).toBe(401);
    // Once: revoking again changes nothing and records nothing.
    expect((await call('DELETE', `/v1/me/api-keys/${created.json.id}`, undefined, dana.key)).status).toBe(200);
    const revokeEntries = (await audit('&action=api_key.revoke')).filter((entry) => entry.entityId === created.json.id);
    expect(revokeEntries).toEqual([expect.objectContaining({ actor: { type: 'user', id: dana.userId } })]);
  });

  it("audits the organization's keys too, as whoever created or revoked them", async () => {
    const { call } = get();
    const ownerKeyId = (await call('GET', '/v1/api-keys')).json.items[0].id as string;
    const ci = (await call('POST', '/v1/api-keys', { name: 'ci', role: 'member' })).json;
    expect(ci.userId).toBeNull();
    await call('DELETE', `/v1/api-keys/${ci.id}`);
    const entries = (await audit()).filter((entry) => entry.entityId === ci.id);
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['api_key.revoke', { type: 'api_key', id: ownerKeyId }],
      ['api_key.create', { type: 'api_key', id: ownerKeyId }],
    ]);
    // The bootstrap key was recorded when the organization was made.
    expect((await audit('&action=api_key.create')).find((entry) => entry.entityId === ownerKeyId)?.actor).toEqual({ type: 'system', id: 'bootstrap' });
  });

  it("follows the member's current role: demoting demotes the key, removing disables and revokes it", async () => {
    const { call } = get();
    const eve = await join('eve@example.com', 'admin');
    expect((await call('GET', '/v1/audit', undefined, eve.key)).status).toBe(200);
    expect((await call('PATCH', `/v1/organization/members/${eve.userId}`, { role: 'member' })).status).toBe(200);
    const demoted = await call('GET', '/v1/audit', undefined, eve.key);
    expect(demoted.status).toBe(403);
    expect(demoted.json.error.details).toEqual({ required: 'admin', role: 'member' });
    // Promoted back, the key is back at its own role.
    expect((await call('PATCH', `/v1/organization/members/${eve.userId}`, { role: 'admin' })).status).toBe(200);
    expect((await call('GET', '/v1/audit', undefined, eve.key)).status).toBe(200);

    expect((await call('DELETE', `/v1/organization/members/${eve.userId}`)).status).toBe(204);
    expect((await call('GET', '/v1/projects', undefined, eve.key)).status).toBe(401);
    const listed = (await call('GET', '/v1/api-keys')).json.items.find((item: { id: string }) => item.id === eve.keyId);
    expect(listed.revokedAt).toEqual(expect.any(String));
    const entry = (await audit('&action=api_key.revoke')).find((item) => item.entityId === eve.keyId);
    expect(entry?.data.reason).toBe('member removed');
  });

  it('stops a personal key at once when its member leaves, even through core and with a cache', async () => {
    const { vector, organizationId } = get();
    const frank = await join('frank@example.com', 'member');
    // A store that caches verified keys for a minute still reads the membership every time.
    const store = createApiKeyStore(vector.db as Kysely<ServerDatabase>, undefined, { cacheMs: 60_000, users: vector.users });
    expect(await store.verify(frank.key)).toEqual({ organizationId, actor: { type: 'user', id: frank.userId }, role: 'member' });
    await vector.users.removeMember({ organizationId, userId: frank.userId }, { type: 'system', id: 'test' });
    expect(await store.verify(frank.key)).toBeNull();
    // Without core's users, a store cannot make or verify personal keys.
    const bare = createApiKeyStore(vector.db as Kysely<ServerDatabase>);
    await expect(bare.create({ organizationId, name: 'x', role: 'member', createdBy: 'test', userId: frank.userId })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('keeps personal keys to people, within their role, and their own', async () => {
    const { call, otherKey } = get();
    const gus = await join('gus@example.com', 'member');
    const hal = await join('hal@example.com', 'admin');
    // An organization key is no person.
    expect((await call('POST', '/v1/me/api-keys', { name: 'x' })).status).toBe(403);
    expect((await call('GET', '/v1/me/api-keys')).status).toBe(403);
    // Not above the caller's role.
    expect((await call('POST', '/v1/me/api-keys', { name: 'x', role: 'admin' }, gus.key)).status).toBe(403);
    const narrow = await call('POST', '/v1/me/api-keys', { name: 'read-mostly', role: 'member' }, hal.key);
    expect(narrow.json.role).toBe('member');
    expect((await call('GET', '/v1/audit', undefined, narrow.json.key)).status).toBe(403);
    // A key made with a narrowed key is no wider than it.
    expect((await call('POST', '/v1/me/api-keys', { name: 'wider' }, narrow.json.key)).json.role).toBe('member');
    // Another person's key is not found among one's own; admins revoke it through /v1/api-keys (not an owner's).
    expect((await call('DELETE', `/v1/me/api-keys/${hal.keyId}`, undefined, gus.key)).status).toBe(404);
    expect((await call('DELETE', `/v1/me/api-keys/${hal.keyId}`, undefined, otherKey)).status).toBe(403);
    const owner = await join('ida@example.com', 'owner');
    expect((await call('DELETE', `/v1/api-keys/${owner.keyId}`, undefined, hal.key)).status).toBe(403);
    expect((await call('DELETE', `/v1/api-keys/${gus.keyId}`, undefined, hal.key)).status).toBe(200);
    expect((await call('GET', '/v1/projects', undefined, gus.key)).status).toBe(401);
  });
});
