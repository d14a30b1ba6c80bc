import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { sampleFiles, useServer } from './server-fixture.js';

describeEachDatabase('tenancy: another organization’s ids answer 404', (database) => {
  const get = useServer(database);

  it('hides every route family’s entities from other organizations', async () => {
    const { call, otherKey, vector } = get();
    const project = (await call('POST', '/v1/projects', { name: 'secret' })).json;
    const version = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, {})).json;
    const posted = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hello' })).json;
    await vector.scope({ organizationId: get().organizationId, actor: { type: 'user', id: 'u' } }).agent.waitForJob(posted.job.id, { timeoutMs: 10_000 });
    const deployment = (await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: version.id })).json;
    const table = (await call('POST', `/v1/projects/${project.id}/tables`, { name: 't', columns: [{ name: 'a', type: 'string' }] })).json;
    const row = (await call('POST', `/v1/tables/${table.id}/rows`, { data: { a: 'x' } })).json;
    const keys = (await call('GET', '/v1/api-keys')).json.items;

    const probes: Array<['GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown?]> = [
      ['GET', `/v1/projects/${project.id}`],
      ['PATCH', `/v1/projects/${project.id}`, { name: 'stolen' }],
      ['DELETE', `/v1/projects/${project.id}`],
      ['GET', `/v1/projects/${project.id}/versions`],
      ['POST', `/v1/projects/${project.id}/versions`, { parentVersionId: version.id, files: sampleFiles('x'), message: 'x' }],
      ['GET', `/v1/versions/${version.id}`],
      ['GET', `/v1/versions/${version.id}/files`],
      ['GET', `/v1/versions/${version.id}/files/index.html`],
      ['GET', `/v1/versions/${version.id}/diff`],
      ['POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: version.id }],
      ['POST', `/v1/projects/${project.id}/publish`, { versionId: version.id }],
      ['POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: version.id, includeData: true }],
      ['POST', `/v1/projects/${project.id}/publish`, { versionId: version.id, allowDestructiveDataChanges: true }],
      ['POST', `/v1/projects/${project.id}/sessions`, {}],
      ['GET', `/v1/projects/${project.id}/sessions`],
      ['GET', `/v1/sessions/${session.id}`],
      ['POST', `/v1/sessions/${session.id}/messages`, { content: 'x' }],
      ['GET', `/v1/sessions/${session.id}/messages`],
      ['GET', `/v1/projects/${project.id}/jobs`],
      ['GET', `/v1/jobs/${posted.job.id}`],
      ['POST', `/v1/jobs/${posted.job.id}/cancel`],
      ['GET', `/v1/jobs/${posted.job.id}/events`],
      ['GET', `/v1/jobs/${posted.job.id}/steps`],
      ['POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview' }],
      ['POST', `/v1/projects/${project.id}/deployments`, { environment: 'production', allowDestructiveDataChanges: true }],
      ['GET', `/v1/projects/${project.id}/deployments`],
      ['GET', `/v1/deployments/${deployment.id}`],
      ['POST', `/v1/deployments/${deployment.id}/refresh`],
      ['GET', `/v1/deployments/${deployment.id}/logs`],
      ['DELETE', `/v1/deployments/${deployment.id}`],
      ['POST', `/v1/projects/${project.id}/tables`, { name: 'x', columns: [{ name: 'a', type: 'string' }] }],
      ['GET', `/v1/projects/${project.id}/tables`],
      ['GET', `/v1/tables/${table.id}`],
      ['DELETE', `/v1/tables/${table.id}`],
      ['POST', `/v1/tables/${table.id}/rows`, { data: { a: 'y' } }],
      ['GET', `/v1/tables/${table.id}/rows`],
      ['GET', `/v1/tables/${table.id}/snapshot?asOf=${encodeURIComponent(new Date().toISOString())}`],
      ['GET', `/v1/projects/${project.id}/data/migrations`],
      ['GET', `/v1/rows/${row.id}/versions`],
      ['GET', `/v1/rows/${row.id}`],
      ['PATCH', `/v1/rows/${row.id}`, { data: { a: 'z' } }],
      ['DELETE', `/v1/rows/${row.id}`],
      ['DELETE', `/v1/api-keys/${keys[0].id}`],
    ];
    for (const [method, url, body] of probes) {
      const response = await call(method, url, body, otherKey);
      expect({ method, url, status: response.status, code: response.json?.error?.code }).toEqual({ method, url, status: 404, code: 'NOT_FOUND' });
    }
    // The other organization's audit log shows none of this organization's entries.
    const audit = await call('GET', `/v1/audit?projectId=${project.id}`, undefined, otherKey);
    expect(audit.json.items).toEqual([]);
    const projects = await call('GET', '/v1/projects', undefined, otherKey);
    expect(projects.json.items).toEqual([]);
    // And everything is intact for its owner.
    expect((await call('GET', `/v1/projects/${project.id}`)).json.name).toBe('secret');
    expect((await call('GET', `/v1/rows/${row.id}`)).json.data).toEqual({ a: 'x' });
    expect((await call('GET', '/v1/api-keys')).json.items.every((key: { revokedAt: string | null }) => key.revokedAt === null)).toBe(true);
  });

  it('enforces roles and revokes keys', async () => {
    const { call } = get();
    const member = (await call('POST', '/v1/api-keys', { name: 'ci', role: 'member' })).json;
    expect(member.key).toMatch(/^vk_/);
    expect((await call('GET', '/v1/api-keys', undefined, member.key)).status).toBe(403);
    expect((await call('GET', '/v1/audit', undefined, member.key)).status).toBe(403);
    expect((await call('GET', '/v1/usage', undefined, member.key)).status).toBe(403);
    expect((await call('PATCH', '/v1/organization', { monthlyBudgetUsd: 10 }, member.key)).status).toBe(403);
    expect((await call('POST', '/v1/projects', { name: 'ok' }, member.key)).status).toBe(201);
    const admin = (await call('POST', '/v1/api-keys', { name: 'admin', role: 'admin' })).json;
    expect((await call('POST', '/v1/api-keys', { name: 'escalate', role: 'owner' }, admin.key)).status).toBe(403);
    expect((await call('DELETE', '/v1/organization', undefined, admin.key)).status).toBe(403);
    const listed = (await call('GET', '/v1/api-keys')).json.items;
    expect(JSON.stringify(listed)).not.toContain(member.key);
    expect((await call('DELETE', `/v1/api-keys/${member.id}`)).json.revokedAt).toEqual(expect.any(String));
    expect((await call('GET', '/v1/projects', undefined, member.key)).status).toBe(401);
    const invited = await call('POST', '/v1/invitations', { email: 'ann@example.com', name: 'Ann', role: 'member' });
    expect(invited.status).toBe(201);
    const added = (await get().app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: invited.json.token } })).json();
    const members = (await call('GET', '/v1/organization/members')).json.items;
    expect(members.map((m: { user: { email: string } }) => m.user.email)).toContain('ann@example.com');
    expect((await call('PATCH', `/v1/organization/members/${added.membership.userId}`, { role: 'owner' }, admin.key)).status).toBe(403);
  });
});
