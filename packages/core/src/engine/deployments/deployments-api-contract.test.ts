import { expect, it } from 'vitest';
import type { StorageBackend } from '../../plugins/storage-backend.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { Actor } from '../../schemas/common.js';
import type { Deployment } from '../../schemas/deployment.js';
import { sampleFiles } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import { T0, at, scriptedProvider, gate, building, live, useDeploymentKit } from './deployment-test-kit.js';

// The deployments API's contract: what create checks and reuses, what list, get, destroy and
// waitForDeployment answer, per organization; on a frozen clock, with scripted providers.

describeEachDatabase('deployments.create', (database) => {
  const kit = useDeploymentKit(database, { extra: { beta: {}, previews: { environments: ['preview'] } } });

  it('refuses a project without a version, a version of another project, an unknown provider and an unsupported environment', async () => {
    const { scope, project, alpha } = kit();
    const empty = await scope.projects.create({ name: 'Empty' });
    await expect(scope.deployments.create({ projectId: empty.id, environment: 'preview' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: `Project ${empty.id} has no version to deploy yet`,
      issues: [{ path: ['versionId'], message: 'no version' }],
    });
    const foreign = await scope.versions.create({ projectId: empty.id, parentVersionId: null, files: sampleFiles('x'), message: 'x' });
    await expect(scope.deployments.create({ projectId: project.id, versionId: foreign.id, environment: 'preview' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `version ${foreign.id} was not found` });
    await expect(scope.deployments.create({ projectId: project.id, environment: 'preview', provider: 'nope' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Unknown deployment provider nope; registered: alpha, beta, previews',
      issues: [{ path: ['provider'], message: 'not registered' }],
    });
    await expect(scope.deployments.create({ projectId: project.id, environment: 'production', provider: 'previews' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Provider previews does not deploy to production',
      issues: [{ path: ['environment'], message: 'unsupported by provider' }],
    });
    await expect(scope.deployments.create({ projectId: project.id, environment: 'preview', env: { KEY: 'a' }, secrets: { KEY: 'b' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: 'Invalid deployment at secrets: a name cannot be both an env var and a secret' });
    await expect(scope.deployments.create({ projectId: project.id, environment: 'preview', ttlSeconds: 59 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid deployment at ttlSeconds: /) });
    expect(alpha.calls.deploy).toEqual([]);
    expect((await scope.deployments.list({})).items).toEqual([]);
    expect((await scope.audit.list({ action: 'deployment.create' })).items).toEqual([]);
  });

  it('deploys the project’s current version through the default provider when none is named', async () => {
    const { scope, alpha, previews, project, v2 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, environment: 'preview' });
    expect(created).toMatchObject({ versionId: v2.id, provider: 'alpha' });
    expect(alpha.calls.deploy.map((input) => input.version.id)).toEqual([v2.id]);
    const limited = await scope.deployments.create({ projectId: project.id, environment: 'preview', provider: 'previews' });
    expect(limited.provider).toBe('previews');
    expect(previews.calls.deploy).toHaveLength(1);
  });

  it('audits the creation with the names of the variables and secrets, never their values', async () => {
    const { scope, project, v1, actor, organizationId } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'a', COLOR: 'b' }, secrets: { TOKEN: 'hunter2' } });
    const audit = await scope.audit.list({ action: 'deployment.create' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      organizationId,
      projectId: project.id,
      actor,
      action: 'deployment.create',
      entityType: 'deployment',
      entityId: created.id,
      beforeId: null,
      afterId: created.id,
      data: { environment: 'preview', provider: 'alpha', versionId: v1.id, envKeys: ['MODE', 'COLOR'], secretKeys: ['TOKEN'] },
    });
    expect(JSON.stringify(audit.items)).not.toContain('hunter2');
  });

  it('sets a preview’s expiry from ttlSeconds, and none for production', async () => {
    const { scope, project, v1, v2 } = kit();
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 120 })).expiresAt).toBe(at(120_000));
    expect((await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production', ttlSeconds: 120 })).expiresAt).toBeNull();
  });

  it('orders deployments created in the same millisecond one millisecond apart', async () => {
    const { scope, project, v1, v2, clock } = kit();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    const second = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    const third = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect([first.createdAt, second.createdAt, third.createdAt]).toEqual([at(0), at(1), at(2)]);
    clock.ms = T0 + 1_000;
    expect((await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' })).createdAt).toBe(at(1_000));
  });

  it('returns the deployment a repeated idempotency key created, per project', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', idempotencyKey: 'k-1' });
    const again = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production', idempotencyKey: 'k-1' });
    expect(again).toEqual(first);
    const other = await scope.projects.create({ name: 'Other' });
    const otherVersion = await scope.versions.create({ projectId: other.id, parentVersionId: null, files: sampleFiles('o'), message: 'o' });
    const elsewhere = await scope.deployments.create({ projectId: other.id, versionId: otherVersion.id, environment: 'production', idempotencyKey: 'k-1' });
    expect(elsewhere.id).not.toBe(first.id);
    expect(alpha.calls.deploy).toHaveLength(2);
  });

  it('returns the winner’s deployment to a concurrent create with the same idempotency key', async () => {
    const { scope, alpha, project, v1 } = kit();
    const [a, b] = await Promise.all([
      scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', idempotencyKey: 'same' }),
      scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', idempotencyKey: 'same' }),
    ]);
    expect(a.id).toBe(b.id);
    expect((await scope.deployments.list({ projectId: project.id })).items.map((deployment) => deployment.id)).toEqual([a.id]);
    expect(alpha.calls.deploy.length).toBeLessThanOrEqual(2);
  });

  it('reuses a usable preview of the version and provider, extending its expiry, never shortening it', async () => {
    const { scope, alpha, project, v1, clock } = kit();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 3_600 });
    expect(first.expiresAt).toBe(at(3_600_000));
    clock.ms = T0 + 100_000;
    const extended = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 7_200 });
    expect(extended).toEqual({ ...first, expiresAt: at(7_300_000), updatedAt: at(100_000) });
    clock.ms = T0 + 200_000;
    const kept = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 60 });
    expect(kept).toEqual({ ...first, expiresAt: at(7_300_000), updatedAt: at(200_000) });
    expect(alpha.calls.deploy).toHaveLength(1);
    expect((await scope.audit.list({ action: 'deployment.create' })).items).toHaveLength(1);
  });

  it('deploys anew for another provider or version, and past a preview that failed, was destroyed or has expired', async () => {
    const { scope, alpha, project, v1, v2, clock } = kit();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 60 });
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'beta' })).id).not.toBe(first.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' })).id).not.toBe(first.id);
    // Expired exactly now: not usable.
    clock.ms = T0 + 60_000;
    const afterExpiry = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 60 });
    expect(afterExpiry.id).not.toBe(first.id);
    await scope.deployments.destroy(afterExpiry.id);
    const afterDestroy = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(afterDestroy.id).not.toBe(afterExpiry.id);
    alpha.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'failed', providerStatus: 'ERROR', url: null });
    await scope.deployments.refresh(afterDestroy.id);
    const afterFailure = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(afterFailure.id).not.toBe(afterDestroy.id);
    expect(afterFailure.status).toBe('building');
    // Still building counts as usable.
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' })).id).toBe(afterFailure.id);
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    await scope.deployments.refresh(afterFailure.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' })).id).toBe(afterFailure.id);
  });

  it('reuses a preview its provider has not answered for yet', async () => {
    const { scope, alpha, project, v1 } = kit();
    const deploying = gate();
    alpha.control.deploy = async (_input, n) => {
      deploying.enter();
      await deploying.held;
      return building(`alpha-${n}`);
    };
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await deploying.entered;
    const again = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(again.status).toBe('pending');
    deploying.release();
    expect((await creating).id).toBe(again.id);
    expect(alpha.calls.deploy).toHaveLength(1);
  });

  it('reuses the newest usable preview, unless the caller brings secrets', async () => {
    const { scope, project, v1 } = kit();
    const plain = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const configured = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'x' } });
    expect(configured.id).not.toBe(plain.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' })).id).toBe(configured.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'x' } })).id).toBe(configured.id);
    const withSecret = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'x' }, secrets: { KEY: 'v' } });
    expect([plain.id, configured.id]).not.toContain(withSecret.id);
    const secretOnly = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', secrets: { KEY: 'v' } });
    expect([plain.id, configured.id, withSecret.id]).not.toContain(secretOnly.id);
  });

  it('never reuses a production deployment, nor a preview for production', async () => {
    const { scope, project, v1 } = kit();
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    expect(first.id).not.toBe(preview.id);
    expect(first.environment).toBe('production');
    const second = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    expect(second.id).not.toBe(first.id);
    expect(second.expiresAt).toBeNull();
  });
});

const schemaFile = (columns: Record<string, unknown>) => ({ path: 'vector.data.json', content: JSON.stringify({ tables: { todos: { columns, access: { read: true, insert: true, update: true, delete: true } } } }) });

describeEachDatabase('deployments.create and the version’s data schema', (database) => {
  const kit = useDeploymentKit(database, { extra: { beta: {}, previews: { environments: ['preview'] } } });

  it('migrates production’s data with a production deployment, and only a preview’s own copy with a preview', async () => {
    const { scope, project, v2 } = kit();
    const withDone = await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, files: [...sampleFiles('3'), schemaFile({ title: { type: 'string', required: true }, done: { type: 'boolean' } })], message: 'v3' });
    const withoutDone = await scope.versions.create({ projectId: project.id, parentVersionId: withDone.id, files: [...sampleFiles('4'), schemaFile({ title: { type: 'string', required: true } })], message: 'v4' });
    const columns = async (deploymentId?: string) => (await scope.data.listTables(project.id, deploymentId === undefined ? {} : { deploymentId })).map((table) => [table.name, table.columns.map((column) => column.name)]);

    // A preview of a schema never touches production's data.
    const early = await scope.deployments.create({ projectId: project.id, versionId: withDone.id, environment: 'preview' });
    expect(await columns(early.id)).toEqual([['todos', ['title', 'done']]]);
    expect(await columns()).toEqual([]);

    await scope.deployments.create({ projectId: project.id, versionId: withDone.id, environment: 'production' });
    expect(await columns()).toEqual([['todos', ['title', 'done']]]);
    const [todos] = await scope.data.listTables(project.id);
    await scope.data.insertRow(todos?.id as string, { title: 'buy milk' });

    // Dropping a column is allowed on a preview's copy.
    const preview = await scope.deployments.create({ projectId: project.id, versionId: withoutDone.id, environment: 'preview' });
    expect(preview.status).toBe('building');
    // The preview's copy of each row enters the history as the caller's.
    const [copy] = await scope.data.listTables(project.id, { deploymentId: preview.id });
    const [copiedRow] = (await scope.data.listRows(copy?.id as string)).items;
    expect(copiedRow?.data).toEqual({ title: 'buy milk' });
    expect((await scope.data.listRowVersions(copiedRow?.id as string)).map((version) => version.actor)).toEqual(['user:user-1']);
    expect(await columns(preview.id)).toEqual([['todos', ['title']]]);
    expect(await columns()).toEqual([['todos', ['title', 'done']]]);

    // On production only when asked for, and nothing is created when it is refused.
    const before = (await scope.deployments.list({ projectId: project.id })).items.length;
    await expect(scope.deployments.create({ projectId: project.id, versionId: withoutDone.id, environment: 'production' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: ['allowDestructiveDataChanges'], message: 'drop column todos.done' }],
    });
    expect((await scope.deployments.list({ projectId: project.id })).items).toHaveLength(before);
    expect(await columns()).toEqual([['todos', ['title', 'done']]]);
    const dropped = await scope.deployments.create({ projectId: project.id, versionId: withoutDone.id, environment: 'production', allowDestructiveDataChanges: true });
    expect(dropped.status).toBe('building');
    expect(await columns()).toEqual([['todos', ['title']]]);
  });
});

describeEachDatabase('deployments.list, get and the other calls', (database) => {
  const kit = useDeploymentKit(database, { extra: { beta: {}, previews: { environments: ['preview'] } } });

  it('lists the organization’s deployments newest first, filtered by project, environment and status, in pages', async () => {
    const { scope, otherScope, alpha, project, v1, v2 } = kit();
    const other = await scope.projects.create({ name: 'Other' });
    const otherVersion = await scope.versions.create({ projectId: other.id, parentVersionId: null, files: sampleFiles('o'), message: 'o' });
    const a = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const b = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    const c = await scope.deployments.create({ projectId: other.id, versionId: otherVersion.id, environment: 'preview' });
    const d = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    await scope.deployments.refresh(d.id);
    const ids = async (filter: Parameters<typeof scope.deployments.list>[0]) => (await scope.deployments.list(filter)).items.map((deployment) => deployment.id);
    // Per project, creation times never repeat; across projects a tie is broken by id, newest first.
    expect([a.createdAt, b.createdAt, c.createdAt, d.createdAt]).toEqual([at(0), at(1), at(0), at(2)]);
    expect(await ids({})).toEqual([d.id, b.id, c.id, a.id]);
    expect(await ids({ projectId: project.id })).toEqual([d.id, b.id, a.id]);
    expect(await ids({ environment: 'preview' })).toEqual([d.id, c.id, a.id]);
    expect(await ids({ status: 'live' })).toEqual([d.id]);
    expect(await ids({ status: 'building' })).toEqual([b.id, c.id, a.id]);
    expect(await ids({ projectId: project.id, environment: 'preview', status: 'building' })).toEqual([a.id]);
    expect(await ids({ projectId: other.id, environment: 'production' })).toEqual([]);

    const first = await scope.deployments.list({}, { limit: 3 });
    expect(first.items.map((deployment) => deployment.id)).toEqual([d.id, b.id, c.id]);
    expect(first.nextCursor).not.toBeNull();
    const rest = await scope.deployments.list({}, { limit: 3, cursor: first.nextCursor });
    expect(rest).toEqual({ items: [await scope.deployments.get(a.id)], nextCursor: null });

    // No filter at all: everything.
    expect((await scope.deployments.list(undefined as unknown as Parameters<typeof scope.deployments.list>[0])).items.map((deployment) => deployment.id)).toEqual([d.id, b.id, c.id, a.id]);
    expect((await otherScope.deployments.list({})).items).toEqual([]);
    expect((await otherScope.deployments.list({ projectId: project.id })).items).toEqual([]);
    await expect(scope.deployments.list({ environment: 'staging' as 'preview' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid deployment filter at environment: /) });
  });

  it('keeps another organization’s deployments out of get, refresh, destroy, listLogs and waitForDeployment', async () => {
    const { scope, otherScope, alpha, project, v1 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const notFound = { code: 'NOT_FOUND', message: `deployment ${created.id} was not found` };
    await expect(otherScope.deployments.get(created.id)).rejects.toMatchObject(notFound);
    await expect(otherScope.deployments.refresh(created.id)).rejects.toMatchObject(notFound);
    await expect(otherScope.deployments.destroy(created.id)).rejects.toMatchObject(notFound);
    await expect(otherScope.deployments.listLogs(created.id)).rejects.toMatchObject(notFound);
    await expect(otherScope.deployments.waitForDeployment(created.id)).rejects.toMatchObject(notFound);
    expect(alpha.calls.getStatus).toEqual([]);
    expect(alpha.calls.destroy).toEqual([]);
    expect((await scope.deployments.get(created.id)).status).toBe('building');
    await expect(scope.deployments.get('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid deployment id: /) });
    await expect(scope.deployments.get('missing')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'deployment missing was not found' });
  });

  it('waits for a deployment by asking its provider until it settles, then returns it as stored', async () => {
    const { scope, alpha, project, v1 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    let asked = 0;
    alpha.control.getStatus = async ({ providerDeploymentId }) => {
      asked += 1;
      return asked < 3 ? building(providerDeploymentId) : live(providerDeploymentId);
    };
    const settled = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(settled).toMatchObject({ status: 'live', url: 'https://alpha-1.example' });
    expect(settled).toEqual(await scope.deployments.get(created.id));
    expect(asked).toBe(3);
    // Settled: answered from the store, without asking again.
    expect((await scope.deployments.waitForDeployment(created.id)).status).toBe('live');
    expect(asked).toBe(3);
  });

  it('gives up waiting after the timeout with LIMIT_EXCEEDED, having asked the provider', async () => {
    const { scope, alpha, project, v1 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await expect(scope.deployments.waitForDeployment(created.id, { timeoutMs: 250 })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'wait_timeout',
      message: `Deployment ${created.id} did not settle within 250 ms (status building)`,
    });
    expect(alpha.calls.getStatus.length).toBeGreaterThan(0);
    for (const timeoutMs of [0, 1.5, 3_600_001]) {
      await expect(scope.deployments.waitForDeployment(created.id, { timeoutMs })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid timeout: /) });
    }
  });

  it('returns from waiting only once the refresh that settled the deployment has retired the replaced production', async () => {
    const { vector, scope, alpha, project, v1, v2 } = kit();
    alpha.control.deploy = async (_input, n) => (n === 1 ? live(`alpha-${n}`) : building(`alpha-${n}`));
    const older = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect([older.status, newer.status]).toEqual(['live', 'building']);
    const retiring = gate();
    alpha.control.destroy = async () => {
      retiring.enter();
      await retiring.held;
    };
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    const order: string[] = [];
    vector.events.on('deployment.updated', (payload) => {
      if (payload.deployment.id === older.id) order.push(`older ${payload.deployment.status}`);
    });
    const refreshing = scope.deployments.refresh(newer.id);
    await retiring.entered;
    // The newer one is stored live already; its refresh is still retiring the older one.
    expect((await scope.deployments.get(newer.id)).status).toBe('live');
    const waiting = scope.deployments.waitForDeployment(newer.id).then((deployment) => {
      order.push(`waited ${deployment.status}`);
    });
    await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 200))]);
    retiring.release();
    await Promise.all([waiting, refreshing]);
    expect(order).toEqual(['older destroyed', 'waited live']);
  });
});

describeEachDatabase('deployments.create without any provider', (database) => {
  it('names the missing provider and that none is registered', async () => {
    const connection = await database.create();
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], roles: ['api'] });
    try {
      await vector.start();
      const actor: Actor = { type: 'user', id: 'user-1' };
      const organization = await vector.organizations.create({ name: 'Acme' }, actor);
      const scope = vector.scope({ organizationId: organization.id, actor });
      const project = await scope.projects.create({ name: 'Site' });
      await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('x'), message: 'v1' });
      await expect(scope.deployments.create({ projectId: project.id, environment: 'preview' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'Unknown deployment provider (none registered); registered: none',
        issues: [{ path: ['provider'], message: 'not registered' }],
      });
      await expect(scope.deployments.create({ projectId: project.id, environment: 'preview', provider: 'alpha' })).rejects.toMatchObject({ message: 'Unknown deployment provider alpha; registered: none' });
    } finally {
      await vector.dispose();
      await connection.destroy();
    }
  });
});

describeEachDatabase('deployments.create racing itself with one idempotency key', (database) => {
  it('returns the deployment of the create that stored it first to the one that lost the race', async () => {
    const connection = await database.create();
    const base = createMemoryStorage();
    const reads: Array<ReturnType<typeof gate<void>>> = [];
    const control = { holding: false };
    // Holds each read of the version's data schema, so both creates get past their first look.
    const storage: StorageBackend = {
      ...base,
      getFile: async (input) => {
        if (control.holding && input.path === 'vector.data.json') {
          const held = gate();
          reads.push(held);
          held.enter();
          await held.held;
        }
        return base.getFile(input);
      },
    };
    const alpha = scriptedProvider('alpha');
    const vector = createVector({ database: connection, storage: [storage], providers: [alpha.provider], roles: ['api'] });
    try {
      await vector.start();
      const actor: Actor = { type: 'user', id: 'user-1' };
      const organization = await vector.organizations.create({ name: 'Acme' }, actor);
      const scope = vector.scope({ organizationId: organization.id, actor });
      const project = await scope.projects.create({ name: 'Site' });
      const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('x'), message: 'v1' });
      control.holding = true;
      const first = scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'production', idempotencyKey: 'once' });
      await expect.poll(() => reads.length).toBe(1);
      await reads[0]?.entered;
      const second = scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'production', idempotencyKey: 'once' });
      await expect.poll(() => reads.length).toBe(2);
      reads[0]?.release();
      const won = await first;
      reads[1]?.release();
      const lost = await second;
      expect(lost).toEqual(won);
      expect(alpha.calls.deploy).toHaveLength(1);
      expect((await scope.deployments.list({ projectId: project.id })).items.map((deployment) => deployment.id)).toEqual([won.id]);
      expect((await scope.audit.list({ action: 'deployment.create' })).items).toHaveLength(1);
    } finally {
      await vector.dispose();
      await connection.destroy();
    }
  });
});
