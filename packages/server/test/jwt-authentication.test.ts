import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, expect, it } from 'vitest';
import type { BuildServerOptions } from '../src/index.js';
import { startJwksServer } from './jwks-server.js';
import { useServer } from './server-fixture.js';

const issuer = 'https://idp.example.test/';
const audience = 'vector-api';
const identityProvider = await startJwksServer({ issuer, audience });
afterAll(() => identityProvider.close());

const jwt: BuildServerOptions['jwt'] = { jwksUrl: identityProvider.jwksUrl, issuer, audience, claims: { userId: 'sub', organizationId: 'org_id', role: 'role' } };

describeEachDatabase('built-in JWT verification against a JWKS URL', (database) => {
  const get = useServer(database, { jwt });

  /** A person who is a member of organization A with `role`. */
  async function member(role: 'owner' | 'admin' | 'member', email = `${role}@example.com`) {
    const { vector, organizationId } = get();
    const user = await vector.users.create({ email, name: role });
    await vector.users.addMember({ organizationId, userId: user.id, role }, { type: 'system', id: 'test' });
    return user;
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('authenticates a signed token as its user, in its organization, and audits the person', async () => {
    const { app, organizationId } = get();
    const user = await member('admin');
    const token = await identityProvider.sign({ sub: user.id, org_id: organizationId });
    const organization = await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(token) });
    expect(organization.statusCode).toBe(200);
    expect(organization.json().id).toBe(organizationId);
    // Admin routes follow the member's role in core.
    expect((await app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(token) })).statusCode).toBe(200);
    const project = await app.inject({ method: 'POST', url: '/v1/projects', headers: bearer(token), payload: { name: 'by a person' } });
    expect(project.statusCode).toBe(201);
    const audit = await app.inject({ method: 'GET', url: '/v1/audit?action=project.create', headers: bearer(token) });
    expect(audit.json().items[0].actor).toEqual({ type: 'user', id: user.id });
  });

  it('refuses expired tokens, the wrong audience or issuer, no exp, unknown keys and malformed claims with 401', async () => {
    const { app, organizationId } = get();
    const user = await member('owner');
    const claims = { sub: user.id, org_id: organizationId };
    const refused = {
      expired: await identityProvider.sign(claims, { expiresInSeconds: -60 }),
      'wrong audience': await identityProvider.sign(claims, { audience: 'someone-else' }),
      'wrong issuer': await identityProvider.sign(claims, { issuer: 'https://evil.example.test/' }),
      'without exp': await identityProvider.sign(claims, { expiresInSeconds: null }),
      'unknown key': await identityProvider.sign(claims, { foreignKey: true }),
      'a role Vector does not have': await identityProvider.sign({ ...claims, role: 'superuser' }),
      'no organization': await identityProvider.sign({ sub: user.id }),
      'a user id that is no id': await identityProvider.sign({ sub: 'x'.repeat(500), org_id: organizationId }),
      tampered: `${(await identityProvider.sign(claims)).slice(0, -4)}AAAA`,
    };
    for (const [why, token] of Object.entries(refused)) {
      const response = await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(token) });
      expect({ why, status: response.statusCode, code: response.json().error?.code }).toEqual({ why, status: 401, code: 'UNAUTHORIZED' });
    }
    // Within the clock tolerance (5 s) a just-expired token still passes.
    const justExpired = await identityProvider.sign(claims, { expiresInSeconds: -2 });
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(justExpired) })).statusCode).toBe(200);
  });

  it('needs the user to be a member of the organization the token names, and caps the role by the token', async () => {
    const { app, organizationId, otherKey, vector } = get();
    const user = await member('owner');
    const other = (await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(otherKey) })).json();
    // A valid signature does not make anyone a member: another organization answers 401.
    const elsewhere = await identityProvider.sign({ sub: user.id, org_id: other.id });
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(elsewhere) })).statusCode).toBe(401);
    const stranger = await identityProvider.sign({ sub: 'no-such-user', org_id: organizationId });
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(stranger) })).statusCode).toBe(401);
    // A `member` token of an owner acts as a member.
    const narrowed = await identityProvider.sign({ sub: user.id, org_id: organizationId, role: 'member' });
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(narrowed) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(narrowed) })).statusCode).toBe(403);
    // An `owner` token of a member never grants more than the membership.
    const plain = await member('member', 'plain@example.com');
    const widened = await identityProvider.sign({ sub: plain.id, org_id: organizationId, role: 'owner' });
    expect((await app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(widened) })).statusCode).toBe(403);
    // Removing the member ends their tokens' access on the next request.
    await vector.users.removeMember({ organizationId, userId: plain.id }, { type: 'system', id: 'test' });
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(widened) })).statusCode).toBe(401);
  });

  it('keeps API keys working beside JWTs, and answers 502 while the key set is unreachable', async () => {
    const { app, organizationId, key } = get();
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(key) })).statusCode).toBe(200);
    const user = await member('member');
    // This server has not read the key set yet, and the provider is down.
    identityProvider.setDown(true);
    try {
      const token = await identityProvider.sign({ sub: user.id, org_id: organizationId });
      const response = await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(token) });
      expect(response.statusCode).toBe(502);
      expect(response.json().error.code).toBe('PROVIDER_ERROR');
    } finally {
      identityProvider.setDown(false);
    }
    const token = await identityProvider.sign({ sub: user.id, org_id: organizationId });
    expect((await app.inject({ method: 'GET', url: '/v1/organization', headers: bearer(token) })).statusCode).toBe(200);
  });

  it('lets a person accept an invitation with their JWT before they are a member anywhere', async () => {
    const { app, call, vector, organizationId } = get();
    const person = await vector.users.create({ email: 'newcomer@example.com', name: 'Newcomer' });
    const invited = await call('POST', '/v1/invitations', { email: 'newcomer@example.com', role: 'admin', name: 'Newcomer (Acme)' });
    expect(invited.status).toBe(201);
    // The identity provider does not know the organization yet: the token names none.
    const identity = await identityProvider.sign({ sub: person.id });
    const accepted = await app.inject({ method: 'POST', url: '/v1/invitations/accept', headers: bearer(identity), payload: { token: invited.json.token, apiKey: false } });
    expect(accepted.statusCode).toBe(201);
    expect(accepted.json()).toMatchObject({ membership: { organizationId, userId: person.id, role: 'admin' }, user: { id: person.id, email: 'newcomer@example.com' }, apiKey: null });
    const scoped = await identityProvider.sign({ sub: person.id, org_id: organizationId });
    expect((await app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(scoped) })).statusCode).toBe(200);
    // Another person's token cannot take someone else's invitation.
    const intruder = await vector.users.create({ email: 'intruder@example.com', name: 'Intruder' });
    const second = await call('POST', '/v1/invitations', { email: 'victim@example.com' });
    const taken = await app.inject({ method: 'POST', url: '/v1/invitations/accept', headers: bearer(await identityProvider.sign({ sub: intruder.id })), payload: { token: second.json.token } });
    expect(taken.statusCode).toBe(403);
    const expired = await app.inject({ method: 'POST', url: '/v1/invitations/accept', headers: bearer(await identityProvider.sign({ sub: intruder.id }, { expiresInSeconds: -60 })), payload: { token: second.json.token } });
    expect(expired.statusCode).toBe(401);
  });
});
