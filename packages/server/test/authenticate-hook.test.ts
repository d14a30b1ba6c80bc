import { describeEachDatabase } from '@vector/core/testing';
import { ForbiddenError, type MemberRole, UnauthorizedError } from '@vector/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, expect, it } from 'vitest';
import type { Authenticate, Principal } from '../src/index.js';
import { startJwksServer } from './jwks-server.js';
import { useServer } from './server-fixture.js';

/** Sessions an embedding product keeps: session id → principal. Filled by the tests. */
const sessions = new Map<string, Principal>();

// A product's own session cookie, refusing some sessions with its own errors, keeping the server's API keys working.
const sessionAuth: Authenticate = async (request, { builtIn }) => {
  const cookie = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  if (cookie === undefined) return builtIn(request);
  if (cookie === 'locked') throw new UnauthorizedError({ message: 'Your session was locked: sign in again' });
  if (cookie === 'suspended') throw new ForbiddenError({ message: 'Your account is suspended' });
  return sessions.get(cookie) ?? null;
};

describeEachDatabase('a custom authenticate hook', (database) => {
  const get = useServer(database, { authenticate: sessionAuth });

  it('authenticates by the hook, enforces roles, and audits its actor', async () => {
    const { app, organizationId } = get();
    sessions.set('member-session', { organizationId, actor: { type: 'user', id: 'user-from-sessions' }, role: 'member' });
    const asMember = { cookie: 'theme=dark; session=member-session' };
    const project = await app.inject({ method: 'POST', url: '/v1/projects', headers: asMember, payload: { name: 'from a session' } });
    expect(project.statusCode).toBe(201);
    // The hook's role decides: admin routes answer 403 to a member session.
    const forbidden = await app.inject({ method: 'GET', url: '/v1/audit', headers: asMember });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.details).toEqual({ required: 'admin', role: 'member' });
    sessions.set('admin-session', { organizationId, actor: { type: 'user', id: 'admin-from-sessions' }, role: 'admin' });
    const audit = await app.inject({ method: 'GET', url: '/v1/audit?action=project.create', headers: { cookie: 'session=admin-session' } });
    expect(audit.json().items[0].actor).toEqual({ type: 'user', id: 'user-from-sessions' });
  });

  it('answers 401 when the hook finds nobody, and the hook’s own errors with their codes', async () => {
    const { app } = get();
    const unknown = await app.inject({ method: 'GET', url: '/v1/projects', headers: { cookie: 'session=nobody' } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('UNAUTHORIZED');
    const locked = await app.inject({ method: 'GET', url: '/v1/projects', headers: { cookie: 'session=locked' } });
    expect(locked.statusCode).toBe(401);
    expect(locked.json().error.message).toBe('Your session was locked: sign in again');
    const suspended = await app.inject({ method: 'GET', url: '/v1/projects', headers: { cookie: 'session=suspended' } });
    expect(suspended.statusCode).toBe(403);
    expect(suspended.json().error.message).toBe('Your account is suspended');
    // Routes that need no credentials never ask the hook.
    expect((await app.inject({ method: 'GET', url: '/healthz', headers: { cookie: 'session=locked' } })).statusCode).toBe(200);
  });

  it('keeps the built-in API keys working through tools.builtIn, and confines a session to its organization', async () => {
    const { app, call, otherKey } = get();
    const project = await call('POST', '/v1/projects', { name: 'by key' });
    expect(project.status).toBe(201);
    const other = (await call('GET', '/v1/organization', undefined, otherKey)).json;
    sessions.set('other-session', { organizationId: other.id, actor: { type: 'user', id: 'someone-else' }, role: 'owner' });
    const probe = await app.inject({ method: 'GET', url: `/v1/projects/${project.json.id}`, headers: { cookie: 'session=other-session' } });
    expect(probe.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: 'Bearer vk_not-a-real-key' } })).statusCode).toBe(401);
  });
});

// A product that verifies its identity provider's JWTs itself, with its own claim names.
const issuer = 'https://login.example.test/';
const audience = 'https://api.example.test/';
const identityProvider = await startJwksServer({ issuer, audience });
afterAll(() => identityProvider.close());
const keySet = createRemoteJWKSet(new URL(identityProvider.jwksUrl));
const jwtAuth: Authenticate = async (request) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(token, keySet, { issuer, audience, requiredClaims: ['exp'] });
    const claims = payload as { 'https://example.test/vector_user': string; 'https://example.test/tenant': string; 'https://example.test/role': MemberRole };
    return { organizationId: claims['https://example.test/tenant'], actor: { type: 'user', id: claims['https://example.test/vector_user'] }, role: claims['https://example.test/role'] };
  } catch {
    return null;
  }
};

describeEachDatabase('a custom authenticate hook verifying JWTs', (database) => {
  const get = useServer(database, { authenticate: jwtAuth });

  it('authenticates the JWTs the hook accepts and refuses the ones it does not', async () => {
    const { app, organizationId } = get();
    const claims = { 'https://example.test/vector_user': 'idp-user-7', 'https://example.test/tenant': organizationId, 'https://example.test/role': 'admin' };
    const token = await identityProvider.sign(claims);
    const created = await app.inject({ method: 'POST', url: '/v1/projects', headers: { authorization: `Bearer ${token}` }, payload: { name: 'via the hook' } });
    expect(created.statusCode).toBe(201);
    const audit = await app.inject({ method: 'GET', url: '/v1/audit?action=project.create', headers: { authorization: `Bearer ${token}` } });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items[0].actor).toEqual({ type: 'user', id: 'idp-user-7' });
    const expired = await identityProvider.sign(claims, { expiresInSeconds: -60 });
    expect((await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${expired}` } })).statusCode).toBe(401);
    const otherAudience = await identityProvider.sign(claims, { audience: 'https://elsewhere.example.test/' });
    expect((await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${otherAudience}` } })).statusCode).toBe(401);
    // Without `tools.builtIn`, the server's own API keys are not accepted by this hook.
    expect((await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${get().key}` } })).statusCode).toBe(401);
  });
});
