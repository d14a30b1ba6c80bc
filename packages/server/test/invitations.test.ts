import { describeEachDatabase } from '@vector/core/testing';
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import type { ServerDatabase } from '../src/index.js';
import { useServer } from './server-fixture.js';

describeEachDatabase('invitations', (database) => {
  const get = useServer(database);

  /** Accepts `token`, as `key`'s person when given. */
  async function accept(token: string, body: Record<string, unknown> = {}, key?: string) {
    const response = await get().app.inject({ method: 'POST', url: '/v1/invitations/accept', headers: key ? { authorization: `Bearer ${key}` } : {}, payload: { token, ...body } });
    return { status: response.statusCode, json: response.json() };
  }

  it('invites, accepts as a new person, and the member acts with their role and as themselves', async () => {
    const { call, organizationId } = get();
    const invited = await call('POST', '/v1/invitations', { email: 'Ann@Example.com', name: 'Ann', role: 'admin' });
    expect(invited.status).toBe(201);
    expect(invited.json.token).toMatch(/^vinv_/);
    expect(invited.json.invitation).toMatchObject({ organizationId, email: 'ann@example.com', name: 'Ann', role: 'admin', status: 'pending', acceptedAt: null });
    const expiresInMs = Date.parse(invited.json.invitation.expiresAt) - Date.parse(invited.json.invitation.createdAt);
    expect(expiresInMs).toBe(7 * 24 * 60 * 60_000);
    // Listed without the token; only its hash is stored.
    const listed = await call('GET', '/v1/invitations');
    expect(JSON.stringify(listed.json)).not.toContain(invited.json.token);
    const rows = await (get().vector.db as Kysely<ServerDatabase>).selectFrom('vector_server_invitations').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(invited.json.token);

    const accepted = await accept(invited.json.token);
    expect(accepted.status).toBe(201);
    const userId = accepted.json.user.id as string;
    expect(accepted.json).toMatchObject({ membership: { organizationId, userId, role: 'admin' }, user: { email: 'ann@example.com' }, apiKey: { userId, role: 'admin' } });
    const annKey = accepted.json.apiKey.key as string;
    // The new member acts with the invited role, as themselves.
    expect((await call('GET', '/v1/api-keys', undefined, annKey)).status).toBe(200);
    const project = await call('POST', '/v1/projects', { name: "Ann's" }, annKey);
    expect(project.status).toBe(201);
    const audit = (await call('GET', '/v1/audit?limit=100')).json.items as Array<{ action: string; actor: { type: string; id: string } }>;
    expect(audit.find((entry) => entry.action === 'project.create')?.actor).toEqual({ type: 'user', id: userId });
    expect(audit.find((entry) => entry.action === 'invitation.create')?.actor.type).toBe('api_key');
    for (const action of ['member.add', 'invitation.accept', 'api_key.create']) expect(audit.find((entry) => entry.action === action && entry.actor.id === userId), action).toBeDefined();
    // The members list shows the name this organization gave.
    const members = (await call('GET', '/v1/organization/members')).json.items as Array<{ userId: string; user: { name: string | null } }>;
    expect(members.find((member) => member.userId === userId)?.user).toEqual({ id: userId, email: 'ann@example.com', name: 'Ann' });
    expect((await call('GET', '/v1/invitations')).json.items[0]).toMatchObject({ status: 'accepted', acceptedBy: userId });
  });

  it('refuses used, expired, revoked and unknown tokens', async () => {
    const { call, vector } = get();
    const used = (await call('POST', '/v1/invitations', { email: 'used@example.com', name: 'Used' })).json;
    expect((await accept(used.token)).status).toBe(201);
    const again = await accept(used.token, { name: 'Someone' });
    expect(again).toMatchObject({ status: 409, json: { error: { code: 'CONFLICT', details: { reason: 'accepted' } } } });

    const expiring = (await call('POST', '/v1/invitations', { email: 'late@example.com', name: 'Late', expiresInDays: 1 })).json;
    await (vector.db as Kysely<ServerDatabase>).updateTable('vector_server_invitations').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', expiring.invitation.id).execute();
    expect(await accept(expiring.token)).toMatchObject({ status: 409, json: { error: { details: { reason: 'expired' } } } });
    expect(await vector.users.getByEmail('late@example.com')).toBeNull();

    const revoked = (await call('POST', '/v1/invitations', { email: 'gone@example.com', name: 'Gone' })).json;
    expect((await call('DELETE', `/v1/invitations/${revoked.invitation.id}`)).json.status).toBe('revoked');
    expect((await accept(revoked.token)).status).toBe(404);
    expect((await accept(`vinv_${'A'.repeat(43)}`)).status).toBe(404);
    expect((await accept('not-a-token')).status).toBe(404);
    // Revoking an accepted invitation is a conflict; the audit log has one entry per change.
    expect((await call('DELETE', `/v1/invitations/${used.invitation.id}`)).status).toBe(409);
    expect((await call('GET', '/v1/audit?action=invitation.revoke')).json.items).toHaveLength(1);
  });

  it('lets one of two accepts at once win, and the other make nothing', async () => {
    const { call, vector, organizationId } = get();
    const invited = (await call('POST', '/v1/invitations', { email: 'twice@example.com', name: 'Twice' })).json;
    const outcomes = await Promise.all([accept(invited.token), accept(invited.token), accept(invited.token)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([201, 409, 409]);
    const members = await vector.users.listMembers(organizationId);
    expect(members.filter((member) => member.user.email === 'twice@example.com')).toHaveLength(1);
  });

  it('takes the credentials of the invited person only, and another organization cannot use or manage the invitation', async () => {
    const { call, otherKey, organizationId } = get();
    // Bob has an account, made by organization B, with a personal key there.
    const bobInB = (await call('POST', '/v1/invitations', { email: 'bob@example.com', name: 'Bob (B)' }, otherKey)).json;
    const bobKeyInB = (await accept(bobInB.token)).json.apiKey.key as string;
    const carolInB = (await call('POST', '/v1/invitations', { email: 'carol@example.com', name: 'Carol (B)' }, otherKey)).json;
    const carolKeyInB = (await accept(carolInB.token)).json.apiKey.key as string;

    const toA = (await call('POST', '/v1/invitations', { email: 'bob@example.com', name: 'Bob (A)' })).json;
    // Organization B's own API key is no person: 403. Carol is not Bob: 403. No credentials for an existing account: 401.
    expect((await accept(toA.token, {}, otherKey)).status).toBe(403);
    expect((await accept(toA.token, {}, carolKeyInB)).status).toBe(403);
    expect((await accept(toA.token)).status).toBe(401);
    expect((await accept(toA.token, {}, 'vk_bad')).status).toBe(401);
    // B's admins cannot see or revoke A's invitations.
    expect((await call('GET', '/v1/invitations', undefined, otherKey)).json.items.map((item: { id: string }) => item.id)).not.toContain(toA.invitation.id);
    expect((await call('DELETE', `/v1/invitations/${toA.invitation.id}`, undefined, otherKey)).status).toBe(404);

    // Bob accepts with his own key from B: he joins A, and his key for A works in A only.
    const joined = await accept(toA.token, {}, bobKeyInB);
    expect(joined.status).toBe(201);
    expect(joined.json.membership).toMatchObject({ organizationId, role: 'member' });
    const bobKeyInA = joined.json.apiKey.key as string;
    expect((await call('GET', '/v1/organization', undefined, bobKeyInA)).json.id).toBe(organizationId);
    expect((await call('GET', '/v1/organization', undefined, bobKeyInB)).json.id).not.toBe(organizationId);
    // Already a member: inviting again is a conflict.
    expect((await call('POST', '/v1/invitations', { email: 'bob@example.com' })).status).toBe(409);
  });

  it('checks who may invite whom, and what an invitation needs', async () => {
    const { call } = get();
    const admin = (await call('POST', '/v1/api-keys', { name: 'admin', role: 'admin' })).json.key as string;
    const member = (await call('POST', '/v1/api-keys', { name: 'member', role: 'member' })).json.key as string;
    expect((await call('POST', '/v1/invitations', { email: 'boss@example.com', role: 'owner' }, admin)).status).toBe(403);
    expect((await call('POST', '/v1/invitations', { email: 'x@example.com' }, member)).status).toBe(403);
    expect((await call('GET', '/v1/invitations', undefined, member)).status).toBe(403);
    expect((await call('POST', '/v1/invitations', { email: 'boss@example.com', role: 'owner' })).status).toBe(201);
    expect((await call('POST', '/v1/invitations', { email: 'boss@example.com' })).status).toBe(409);
    for (const body of [{ email: 'not an email' }, { email: 'a@example.com', role: 'king' }, { email: 'a@example.com', expiresInDays: 0 }, { email: 'a@example.com', extra: 1, name: '' }]) {
      expect((await call('POST', '/v1/invitations', body)).status).toBe(400);
    }
    // A new account needs a name, from the invitation or the person; a bad body is a 400, never a 500.
    const nameless = (await call('POST', '/v1/invitations', { email: 'nameless@example.com' })).json;
    expect((await accept(nameless.token)).status).toBe(400);
    expect((await accept(nameless.token, { apiKey: false, name: 'N' })).status).toBe(400);
    expect((await accept(nameless.token, { name: 'Nameless' })).status).toBe(201);
    expect((await get().app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: 42 } })).statusCode).toBe(400);
    // Adding an existing account by email is gone: people join by accepting.
    expect((await call('POST', '/v1/organization/members', { email: 'ann@example.com', name: 'Ann', role: 'member' })).status).toBe(404);
  });

  it("never shows an organization another organization's profile of a shared user", async () => {
    const { call, otherKey } = get();
    // Organization B made Alice's account, under the name it chose.
    const inB = (await call('POST', '/v1/invitations', { email: 'alice@corp.example', name: 'Alice Private-Name' }, otherKey)).json;
    const aliceInB = (await accept(inB.token)).json;
    // Organization A invites the same email under its own name for her; she accepts as herself.
    const inA = (await call('POST', '/v1/invitations', { email: 'alice@corp.example', name: 'A. Liddell' })).json;
    expect(JSON.stringify(inA)).not.toContain('Private-Name');
    const joined = await accept(inA.token, {}, aliceInB.apiKey.key);
    expect(joined.status).toBe(201);
    expect(JSON.stringify(joined.json)).not.toContain('Private-Name');
    const members = (await call('GET', '/v1/organization/members')).json.items as Array<{ userId: string; user: Record<string, unknown> }>;
    const alice = members.find((member) => member.userId === aliceInB.user.id);
    expect(alice?.user).toEqual({ id: aliceInB.user.id, email: 'alice@corp.example', name: 'A. Liddell' });
    const everything = JSON.stringify(members);
    expect(everything).not.toContain('Private-Name');
    // Nor when the account was made, which is B's business too.
    const user = await get().vector.users.get(aliceInB.user.id);
    expect(everything).not.toContain(user.createdAt);
    // B still sees its own name for her.
    const inBMembers = (await call('GET', '/v1/organization/members', undefined, otherKey)).json.items as Array<{ userId: string; user: { name: string } }>;
    expect(inBMembers.find((member) => member.userId === aliceInB.user.id)?.user.name).toBe('Alice Private-Name');
  });
});
