import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

describeEachDatabase('projects, organizations and audit', (database) => {
  const engine = useEngine(database);

  it('creates, lists, pages, updates and deletes projects', async () => {
    const { scope } = engine();
    const created = await Promise.all(['a', 'b', 'c'].map((name) => scope.projects.create({ name, description: `project ${name}` })));
    expect(created[0]).toMatchObject({ name: 'a', storageBackend: 'memory', currentVersionId: null, publishedVersionId: null });
    const first = await scope.projects.list({ limit: 2 });
    const rest = await scope.projects.list({ limit: 2, cursor: first.nextCursor });
    expect([...first.items, ...rest.items].map((project) => project.name).sort()).toEqual(['a', 'b', 'c']);
    expect(rest.nextCursor).toBeNull();
    const updated = await scope.projects.update(created[0]?.id as string, { name: 'renamed', settings: { theme: 'dark' } });
    expect(updated).toMatchObject({ name: 'renamed', settings: { theme: 'dark' }, description: 'project a' });
    await scope.versions.create({ projectId: updated.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
    await scope.projects.delete(updated.id);
    await expect(scope.projects.get(updated.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await scope.projects.list()).items).toHaveLength(2);
  });

  it('manages users and memberships, keeping at least one owner', async () => {
    const { vector, organizationId, actor } = engine();
    const alice = await vector.users.create({ email: 'Alice@Example.com', name: 'Alice' });
    expect(alice.email).toBe('alice@example.com');
    await expect(vector.users.create({ email: 'alice@example.com', name: 'Again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await vector.users.addMember({ organizationId, userId: alice.id, role: 'owner' }, actor);
    await expect(vector.users.updateMemberRole({ organizationId, userId: alice.id, role: 'member' }, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const bob = await vector.users.create({ email: 'bob@example.com', name: 'Bob' });
    await vector.users.addMember({ organizationId, userId: bob.id, role: 'admin', name: 'Robert' }, actor);
    // The name this organization recorded (none for Alice), never the user's stored profile.
    expect((await vector.users.listMembers(organizationId)).map((member) => [member.user.name, member.role])).toEqual([
      [null, 'owner'],
      ['Robert', 'admin'],
    ]);
    await vector.users.removeMember({ organizationId, userId: bob.id }, actor);
    expect(await vector.users.getMembership({ organizationId, userId: bob.id })).toBeNull();
    expect((await vector.users.listMemberships(alice.id)).map((membership) => membership.organizationId)).toEqual([organizationId]);
  });

  it("never shows one organization another's stored profile of a shared user", async () => {
    const { vector, organizationId, actor } = engine();
    const other = await vector.organizations.create({ name: 'Elsewhere' }, actor);
    // The other organization made the account, with the name it chose.
    const shared = await vector.users.create({ email: 'shared@example.com', name: 'Private Name' });
    await vector.users.addMember({ organizationId: other.id, userId: shared.id, role: 'member', name: 'Private Name' }, actor);
    await vector.users.addMember({ organizationId, userId: shared.id, role: 'member' }, actor);
    const [member] = await vector.users.listMembers(organizationId);
    expect(member).toEqual({ organizationId, userId: shared.id, role: 'member', createdAt: expect.any(String), user: { id: shared.id, email: 'shared@example.com', name: null } });
    expect(JSON.stringify(await vector.users.listMembers(organizationId))).not.toContain('Private Name');
    // The account's own timestamp is the other organization's to show (the membership's may fall in the same millisecond).
    expect(JSON.stringify((await vector.users.listMembers(organizationId)).map((entry) => entry.user))).not.toContain(shared.createdAt);
    expect((await vector.users.listMembers(other.id))[0]?.user.name).toBe('Private Name');
    await expect(vector.users.addMember({ organizationId, userId: shared.id, role: 'member', name: ' ' }, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('records entries for what happens outside the engine, as the scope\'s actor', async () => {
    const { vector, scope, organizationId } = engine();
    const announced: string[] = [];
    vector.events.on('audit.created', (event) => announced.push(event.entry.action));
    const entry = await scope.audit.record({ action: 'api_key.create', entityType: 'api_key', entityId: 'key-1', data: { name: 'ci' } });
    expect(entry).toMatchObject({ organizationId, projectId: null, actor: scope.actor, action: 'api_key.create', entityType: 'api_key', entityId: 'key-1', data: { name: 'ci' } });
    expect((await scope.audit.list({ action: 'api_key.create' })).items).toEqual([entry]);
    expect(announced).toContain('api_key.create');
    for (const action of ['ApiKey.create', 'create', 'api key.create', 'a.'.repeat(60)]) {
      await expect(scope.audit.record({ action, entityType: 'api_key', entityId: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const missing = vector.scope({ organizationId: 'no-such-organization', actor: scope.actor });
    await expect(missing.audit.record({ action: 'api_key.create', entityType: 'api_key', entityId: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('writes an audit entry for every mutation, filterable by project, actor, action and time', async () => {
    const { scope } = engine();
    const start = new Date().toISOString();
    const project = await scope.projects.create({ name: 'Audited' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
    await scope.versions.publish({ projectId: project.id, versionId: v1.id });
    await scope.projects.update(project.id, { name: 'Audited 2' });
    const table = await scope.data.createTable({ projectId: project.id, name: 't', columns: [{ name: 'n', type: 'number', required: false }] });
    const row = await scope.data.insertRow(table.id, { n: 1 });
    await scope.data.updateRow(row.id, { n: 2 });
    await scope.data.deleteRow(row.id);
    const entries = (await scope.audit.list({ projectId: project.id }, { limit: 100 })).items;
    expect(entries.map((entry) => entry.action).sort()).toEqual(
      ['data_row.create', 'data_row.delete', 'data_row.update', 'data_table.create', 'project.create', 'project.update', 'version.create', 'version.publish'].sort(),
    );
    const versionEntry = entries.find((entry) => entry.action === 'version.create');
    expect(versionEntry).toMatchObject({ actor: { type: 'user', id: 'user-1' }, entityId: v1.id, beforeId: null, afterId: v1.id });
    expect((await scope.audit.list({ action: 'version.publish' })).items).toHaveLength(1);
    expect((await scope.audit.list({ actorId: 'someone-else' })).items).toHaveLength(0);
    expect((await scope.audit.list({ since: start, projectId: project.id }, { limit: 100 })).items).toHaveLength(8);
    expect((await scope.audit.list({ until: start, projectId: project.id })).items).toHaveLength(0);
    // Newest-first keyset pages add up to the unpaged list, in the same order.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof scope.audit.list>> = await scope.audit.list({ projectId: project.id }, { limit: 3, cursor });
      paged.push(...page.items.map((entry) => entry.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(entries.map((entry) => entry.id));
  });

  it('looks plugins up by name through the registry', async () => {
    const { vector, scope } = engine();
    const project = await scope.projects.create({ name: 'Registry' });
    expect(vector.getStorageBackend(project).name).toBe('memory');
    expect(vector.getDeploymentProvider().name).toBe('static');
    expect(vector.getDeploymentProvider('static').name).toBe('static');
    expect(vector.getAgent().type).toBe('scripted');
    expect(() => vector.getAgent('missing')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => vector.getStorageBackend({ storageBackend: 'github' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('never lets concurrent demotions and removals leave an organization without an owner', async () => {
    const { vector, organizationId, actor } = engine();
    const [first, second] = await Promise.all([vector.users.create({ email: 'one@example.com', name: 'One' }), vector.users.create({ email: 'two@example.com', name: 'Two' })]);
    await vector.users.addMember({ organizationId, userId: first.id, role: 'owner' }, actor);
    await vector.users.addMember({ organizationId, userId: second.id, role: 'owner' }, actor);
    const outcomes = await Promise.allSettled([
      vector.users.updateMemberRole({ organizationId, userId: first.id, role: 'member' }, actor),
      vector.users.removeMember({ organizationId, userId: second.id }, actor),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const owners = (await vector.users.listMembers(organizationId)).filter((member) => member.role === 'owner');
    expect(owners).toHaveLength(1);
  });
});
