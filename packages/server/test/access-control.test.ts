import net from 'node:net';
import { describeEachDatabase } from '@vector/core/testing';
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { createApiKeyStore, type ServerDatabase } from '../src/index.js';
import { useServer } from './server-fixture.js';

/** Sends one raw HTTP/1.1 request (so the request target can be in absolute form) and answers status and body. */
async function rawRequest(port: number, head: string): Promise<{ status: number; body: string }> {
  const response = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
  const [statusLine = ''] = response.split('\r\n');
  return { status: Number(statusLine.split(' ')[1]), body: response.slice(response.indexOf('\r\n\r\n') + 4) };
}

describeEachDatabase('access control', (database) => {
  const get = useServer(database);

  it('refuses to let an admin revoke a key that outranks it, and lets owners do it', async () => {
    const { call } = get();
    const admin = (await call('POST', '/v1/api-keys', { name: 'admin', role: 'admin' })).json;
    const member = (await call('POST', '/v1/api-keys', { name: 'member', role: 'member' })).json;
    const keys = (await call('GET', '/v1/api-keys', undefined, admin.key)).json.items as Array<{ id: string; role: string }>;
    const ownerKey = keys.find((key) => key.role === 'owner');
    expect(ownerKey).toBeDefined();

    const refused = await call('DELETE', `/v1/api-keys/${ownerKey?.id}`, undefined, admin.key);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('FORBIDDEN');
    // The owner key still works, and was not marked revoked.
    expect((await call('GET', '/v1/organization')).status).toBe(200);
    expect(((await call('GET', '/v1/api-keys')).json.items as Array<{ id: string; revokedAt: string | null }>).find((key) => key.id === ownerKey?.id)?.revokedAt).toBeNull();

    // Equal or lower roles may be revoked by an admin; an owner may revoke anything.
    expect((await call('DELETE', `/v1/api-keys/${member.id}`, undefined, admin.key)).status).toBe(200);
    const otherAdmin = (await call('POST', '/v1/api-keys', { name: 'admin 2', role: 'admin' })).json;
    expect((await call('DELETE', `/v1/api-keys/${otherAdmin.id}`, undefined, admin.key)).status).toBe(200);
    const secondOwner = (await call('POST', '/v1/api-keys', { name: 'owner 2', role: 'owner' })).json;
    expect((await call('DELETE', `/v1/api-keys/${secondOwner.id}`)).status).toBe(200);
    expect((await call('GET', '/v1/organization', undefined, secondOwner.key)).status).toBe(401);
  });

  it('records lastUsedAt when a key is used, at most once a minute', async () => {
    const { vector, call } = get();
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const store = createApiKeyStore(vector.db as Kysely<ServerDatabase>, () => clock);
    const organizationId = (await call('GET', '/v1/organization')).json.id as string;
    const { apiKey, key } = await store.create({ organizationId, name: 'clocked', role: 'member', createdBy: 'test' });
    const lastUsed = async () => (await store.list(organizationId)).find((item) => item.id === apiKey.id)?.lastUsedAt;
    expect(await lastUsed()).toBeNull();

    expect(await store.verify(key)).toMatchObject({ organizationId, role: 'member' });
    expect(await lastUsed()).toBe('2030-01-01T00:00:00.000Z');
    clock = new Date('2030-01-01T00:00:59.000Z');
    await store.verify(key);
    expect(await lastUsed()).toBe('2030-01-01T00:00:00.000Z');
    clock = new Date('2030-01-01T00:01:01.000Z');
    await store.verify(key);
    expect(await lastUsed()).toBe('2030-01-01T00:01:01.000Z');

    // Through HTTP too: a fresh key shows a use once it made a request.
    const created = (await call('POST', '/v1/api-keys', { name: 'http', role: 'member' })).json;
    expect(created.lastUsedAt).toBeNull();
    await call('GET', '/v1/projects', undefined, created.key);
    const listed = ((await call('GET', '/v1/api-keys')).json.items as Array<{ id: string; lastUsedAt: string | null }>).find((item) => item.id === created.id);
    expect(listed?.lastUsedAt).toEqual(expect.any(String));
  });

  it('serves a verified key from memory for cacheMs: a revoke through the store counts at once, one by another process within cacheMs', async () => {
    const { vector, call } = get();
    const db = vector.db as Kysely<ServerDatabase>;
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const organizationId = (await call('GET', '/v1/organization')).json.id as string;
    const store = createApiKeyStore(db, () => clock, { cacheMs: 5_000 });
    // Another server process sharing the database: its own store, its own memory.
    const elsewhere = createApiKeyStore(db, () => clock, { cacheMs: 5_000 });

    const first = await store.create({ organizationId, name: 'revoked here', role: 'member', createdBy: 'test' });
    expect(await store.verify(first.key)).toMatchObject({ organizationId, role: 'member', actor: { type: 'api_key', id: first.apiKey.id } });
    await store.revoke({ organizationId, id: first.apiKey.id });
    expect(await store.verify(first.key)).toBeNull();

    const second = await store.create({ organizationId, name: 'revoked elsewhere', role: 'member', createdBy: 'test' });
    expect(await store.verify(second.key)).not.toBeNull();
    await elsewhere.revoke({ organizationId, id: second.apiKey.id });
    expect(await elsewhere.verify(second.key)).toBeNull();
    clock = new Date('2030-01-01T00:00:04.999Z');
    expect(await store.verify(second.key)).not.toBeNull();
    clock = new Date('2030-01-01T00:00:05.001Z');
    expect(await store.verify(second.key)).toBeNull();

    // With cacheMs 0 every call asks the database.
    const uncached = createApiKeyStore(db, () => clock, { cacheMs: 0 });
    const third = await uncached.create({ organizationId, name: 'uncached', role: 'member', createdBy: 'test' });
    expect(await uncached.verify(third.key)).not.toBeNull();
    await elsewhere.revoke({ organizationId, id: third.apiKey.id });
    expect(await uncached.verify(third.key)).toBeNull();

    // A caller cannot change what the cache holds through the principal it was handed.
    const fourth = await store.create({ organizationId, name: 'kept', role: 'member', createdBy: 'test' });
    const principal = await store.verify(fourth.key);
    if (!principal) throw new Error('expected a principal');
    principal.role = 'owner';
    principal.actor.id = 'someone-else';
    expect(await store.verify(fourth.key)).toMatchObject({ role: 'member', actor: { id: fourth.apiKey.id } });
  });

  it("does not tell an organization whether an invited email has an account elsewhere", async () => {
    const { app, call, otherKey } = get();
    const elsewhere = await call('POST', '/v1/invitations', { email: 'alice@corp.example', name: 'Alice Private-Name' }, otherKey);
    await app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: elsewhere.json.token } });
    // Inviting an email with an account answers the same shape as a new one, with only what the caller sent.
    const existing = await call('POST', '/v1/invitations', { email: 'alice@corp.example', name: 'Whoever' });
    const fresh = await call('POST', '/v1/invitations', { email: 'bob@corp.example', name: 'Bob' });
    expect([existing.status, fresh.status]).toEqual([201, 201]);
    expect(JSON.stringify(existing.json)).not.toContain('Private-Name');
    expect(Object.keys(existing.json.invitation).sort()).toEqual(Object.keys(fresh.json.invitation).sort());
    expect(existing.json.invitation).toMatchObject({ email: 'alice@corp.example', name: 'Whoever', acceptedBy: null });
  });

  it('authenticates by the matched route, also for an absolute-form request target', async () => {
    const { app, key } = get();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;
    const target = `http://127.0.0.1:${port}/v1/projects`;
    const anonymous = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('Missing or invalid credentials');
    const authorized = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`);
    expect(authorized.status).toBe(200);
    expect(JSON.parse(authorized.body)).toEqual({ items: [], nextCursor: null });
  });

  it('rejects prototype names in a row filter instead of ignoring them', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json;
    const table = (await call('POST', `/v1/projects/${project.id}/tables`, { name: 't', columns: [{ name: 'a', type: 'string' }] })).json;
    await call('POST', `/v1/tables/${table.id}/rows`, { data: { a: 'x' } });
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const response = await call('GET', `/v1/tables/${table.id}/rows?where=${encodeURIComponent(`{"${name}":1}`)}`);
      expect({ name, status: response.status, code: response.json.error?.code }).toEqual({ name, status: 400, code: 'VALIDATION_FAILED' });
      const ordered = await call('GET', `/v1/tables/${table.id}/rows?orderBy=${name}`);
      expect({ name, status: ordered.status }).toEqual({ name, status: 400 });
    }
    expect((await call('GET', `/v1/tables/${table.id}/rows?where=${encodeURIComponent('{"a":"x"}')}`)).json.items).toHaveLength(1);
  });
});
