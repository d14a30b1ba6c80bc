import { expect, it } from 'vitest';
import { describeEachDatabase } from '../testing/test-databases.js';
import type { Actor } from '../schemas/common.js';
import { sampleFiles, useEngine } from '../testing/engine-fixture.js';

describeEachDatabase('input validation', (database) => {
  const engine = useEngine(database);

  it('rejects invalid input to every public engine function with VALIDATION_FAILED', async () => {
    const { scope, vector, organizationId } = engine();
    const project = await scope.projects.create({ name: 'Valid' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const table = await scope.data.createTable({ projectId: project.id, name: 'items', columns: [{ name: 'count', type: 'integer', required: true }] });
    const row = await scope.data.insertRow(table.id, { count: 1 });
    const actor: Actor = { type: 'user', id: 'u' };
    const bad = 42 as unknown as string;

    const calls: Array<[string, () => Promise<unknown> | unknown]> = [
      ['createVector', () => import('./create-vector.js').then(({ createVector }) => createVector({ database: undefined as never, storage: [] }))],
      ['scope', () => vector.scope({ organizationId: '', actor })],
      ['scope actor', () => vector.scope({ organizationId, actor: { type: 'robot', id: 'x' } as unknown as Actor })],
      ['organizations.create', () => vector.organizations.create({ name: '' }, actor)],
      ['organizations.create slug', () => vector.organizations.create({ name: 'x', slug: 'Not A Slug' }, actor)],
      ['organizations.get', () => vector.organizations.get(bad)],
      ['organizations.getBySlug', () => vector.organizations.getBySlug('')],
      ['organizations.list', () => vector.organizations.list({ limit: 0 })],
      ['organizations.update', () => vector.organizations.update(organizationId, { name: '' }, actor)],
      ['organizations.delete', () => vector.organizations.delete(organizationId, { type: 'user' } as Actor)],
      ['users.create', () => vector.users.create({ email: 'not-an-email', name: 'x' })],
      ['users.get', () => vector.users.get(bad)],
      ['users.getByEmail', () => vector.users.getByEmail('nope')],
      ['users.addMember', () => vector.users.addMember({ organizationId, userId: 'u', role: 'king' as never }, actor)],
      ['users.updateMemberRole', () => vector.users.updateMemberRole({ organizationId, userId: 'u', role: 'boss' as never }, actor)],
      ['users.removeMember', () => vector.users.removeMember({ organizationId, userId: bad }, actor)],
      ['users.listMembers', () => vector.users.listMembers(bad)],
      ['users.listMemberships', () => vector.users.listMemberships(bad)],
      ['users.getMembership', () => vector.users.getMembership({ organizationId, userId: bad })],
      ['projects.create', () => scope.projects.create({ name: '   ' })],
      ['projects.create storage', () => scope.projects.create({ name: 'x', storageBackend: 'nope' })],
      ['projects.list', () => scope.projects.list({ limit: 10_000 })],
      ['projects.list cursor', () => scope.projects.list({ cursor: 'garbage' })],
      ['projects.get', () => scope.projects.get(bad)],
      ['projects.update', () => scope.projects.update(project.id, { unknown: 1 } as never)],
      ['projects.delete', () => scope.projects.delete('')],
      ['versions.create path traversal', () => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: '../etc/passwd', content: 'x' }], message: 'm' })],
      ['versions.create absolute', () => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: '/etc/passwd', content: 'x' }], message: 'm' })],
      ['versions.create both', () => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: [], changes: [], message: 'm' })],
      ['versions.create no message', () => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [], message: '' })],
      ['versions.create base64', () => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'a.bin', content: '!!!', encoding: 'base64' }], message: 'm' })],
      ['versions.create duplicate', () => scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: [{ path: 'a', content: '1' }, { path: './a', content: '2' }], message: 'm' })],
      ['versions.list', () => scope.versions.list(project.id, { limit: -1 })],
      ['versions.get', () => scope.versions.get(bad)],
      ['versions.listFiles', () => scope.versions.listFiles('')],
      ['versions.getFiles', () => scope.versions.getFiles(v1.id, ['../x'])],
      ['versions.getFile', () => scope.versions.getFile(v1.id, 'a\u0000b')],
      ['versions.diff', () => scope.versions.diff({ fromVersionId: bad, toVersionId: v1.id })],
      ['versions.rollback', () => scope.versions.rollback({ projectId: project.id, targetVersionId: '' })],
      ['versions.publish', () => scope.versions.publish({ projectId: project.id, versionId: bad })],
      ['agent.createSession', () => scope.agent.createSession({ projectId: project.id, agentType: 'nope' })],
      ['agent.listSessions', () => scope.agent.listSessions(project.id, { limit: 0 })],
      ['agent.getSession', () => scope.agent.getSession(bad)],
      ['agent.postMessage', () => scope.agent.postMessage({ sessionId: session.id, content: '   ' })],
      ['agent.postMessage budget', () => scope.agent.postMessage({ sessionId: session.id, content: 'x', budget: { maxSteps: 0 } })],
      ['agent.listMessages', () => scope.agent.listMessages(session.id, { cursor: '%%%' })],
      ['agent.getJob', () => scope.agent.getJob(bad)],
      ['agent.listJobs', () => scope.agent.listJobs({ status: 'sleeping' as never })],
      ['agent.listJobEvents', () => scope.agent.listJobEvents(bad)],
      ['agent.cancelJob', () => scope.agent.cancelJob('')],
      ['agent.waitForJob', () => scope.agent.waitForJob(bad)],
      ['deployments.create', () => scope.deployments.create({ projectId: project.id, environment: 'staging' as never })],
      ['deployments.create env', () => scope.deployments.create({ projectId: project.id, environment: 'preview', env: { 'BAD NAME': 'x' } })],
      ['deployments.create provider', () => scope.deployments.create({ projectId: project.id, environment: 'preview', provider: 'nowhere' })],
      ['deployments.get', () => scope.deployments.get(bad)],
      ['deployments.list', () => scope.deployments.list({ status: 'exploded' as never })],
      ['deployments.refresh', () => scope.deployments.refresh('')],
      ['deployments.listLogs', () => scope.deployments.listLogs(bad)],
      ['deployments.destroy', () => scope.deployments.destroy('')],
      ['deployments.waitForDeployment', () => scope.deployments.waitForDeployment(bad)],
      ['data.createTable', () => scope.data.createTable({ projectId: project.id, name: 'drop table', columns: [{ name: 'x', type: 'string', required: false }] })],
      ['data.createTable columns', () => scope.data.createTable({ projectId: project.id, name: 'ok', columns: [{ name: 'x', type: 'blob' as never, required: false }] })],
      ['data.listTables', () => scope.data.listTables(bad)],
      ['data.getTable', () => scope.data.getTable(bad)],
      ['data.dropTable', () => scope.data.dropTable('')],
      ['data.insertRow type', () => scope.data.insertRow(table.id, { count: 'many' })],
      ['data.insertRow required', () => scope.data.insertRow(table.id, {})],
      ['data.insertRow unknown', () => scope.data.insertRow(table.id, { count: 1, extra: true })],
      ['data.getRow', () => scope.data.getRow(bad)],
      ['data.listRows', () => scope.data.listRows(table.id, { where: { missing: 1 } })],
      ['data.updateRow', () => scope.data.updateRow(row.id, { count: 1.5 })],
      ['data.deleteRow', () => scope.data.deleteRow('')],
      ['audit.list', () => scope.audit.list({ since: 'yesterday' })],
      ['audit.record', () => scope.audit.record({ action: 'Not Dotted', entityType: 'x', entityId: 'y' })],
      ['locateJob', () => vector.locateJob(bad)],
    ];
    for (const [name, call] of calls) {
      const outcome = await Promise.resolve()
        .then(call)
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(outcome, `${name} should fail`).not.toBeNull();
      expect((outcome as { code?: string }).code, `${name}: ${(outcome as Error).message}`).toBe('VALIDATION_FAILED');
    }
  });
});
