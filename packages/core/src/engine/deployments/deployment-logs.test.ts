import { expect, it } from 'vitest';
import { ProviderError } from '../../errors/provider-error.js';
import type { GetLogsInput, ProviderLogPage } from '../../plugins/deployment-provider.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { Actor } from '../../schemas/common.js';
import { sampleFiles } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import { at, scriptedProvider, gate, useDeploymentKit } from './deployment-test-kit.js';

// Log capture: pages followed by cursor, stored once in sequence, announced, and listed in pages;
// on a frozen clock, with providers whose every answer the test scripts.

type Entry = ProviderLogPage['entries'][number];
const line = (n: number, extra: Partial<Entry> = {}): Entry => ({ timestamp: at(n), level: 'info', source: 'build', message: `line ${n}`, ...extra });

/** Pages by the cursor they answer: `pages[cursor ?? '']`; an unknown cursor has nothing new. */
function paged(pages: Record<string, ProviderLogPage>) {
  return async ({ cursor }: GetLogsInput): Promise<ProviderLogPage> => pages[cursor ?? ''] ?? { entries: [], cursor };
}

describeEachDatabase('deployment logs', (database) => {
  const kit = useDeploymentKit(database, { alpha: { logs: true }, extra: { quiet: {} } });

  it('stores the logs the provider has when it accepts a deployment, numbered from 1, and announces each line', async () => {
    const { vector, scope, alpha, project, v1, organizationId } = kit();
    alpha.control.getLogs = paged({
      '': { entries: [line(1), line(2, { level: 'warn', source: 'deploy', message: 'slow install' })], cursor: 'c1' },
      c1: { entries: [line(3, { level: 'error', source: 'runtime', message: 'boom' })], cursor: 'c2' },
    });
    const announced: unknown[] = [];
    vector.events.on('deployment.log', (payload) => announced.push(payload));
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(created.logCursor).toBe('c2');
    expect(alpha.calls.getLogs).toEqual([
      { providerDeploymentId: 'alpha-1', cursor: null },
      { providerDeploymentId: 'alpha-1', cursor: 'c1' },
      { providerDeploymentId: 'alpha-1', cursor: 'c2' },
    ]);
    const expected = [
      { deploymentId: created.id, sequence: 1, timestamp: at(1), level: 'info', source: 'build', message: 'line 1' },
      { deploymentId: created.id, sequence: 2, timestamp: at(2), level: 'warn', source: 'deploy', message: 'slow install' },
      { deploymentId: created.id, sequence: 3, timestamp: at(3), level: 'error', source: 'runtime', message: 'boom' },
    ];
    expect(await scope.deployments.listLogs(created.id)).toEqual(expected);
    expect(announced).toEqual(expected.map((log) => ({ organizationId, projectId: project.id, deploymentId: created.id, log })));
  });

  it('follows at most ten pages per refresh, and continues from the stored cursor on the next', async () => {
    const { scope, alpha, project, v1 } = kit();
    const pages: Record<string, ProviderLogPage> = {};
    for (let n = 1; n <= 12; n += 1) pages[n === 1 ? '' : `p${n - 1}`] = { entries: [line(n)], cursor: `p${n}` };
    alpha.control.getLogs = paged(pages);
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(alpha.calls.getLogs.map((call) => call.cursor)).toEqual([null, 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9']);
    expect(created.logCursor).toBe('p10');
    expect((await scope.deployments.listLogs(created.id)).map((log) => log.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    alpha.calls.getLogs.length = 0;
    expect((await scope.deployments.refresh(created.id)).logCursor).toBe('p12');
    expect(alpha.calls.getLogs.map((call) => call.cursor)).toEqual(['p10', 'p11', 'p12']);
    const logs = await scope.deployments.listLogs(created.id);
    expect(logs.map((log) => [log.sequence, log.message])).toEqual(Array.from({ length: 12 }, (_, index) => [index + 1, `line ${index + 1}`]));
  });

  it('stores a new cursor with no lines and stops there; a provider without cursors gives one page per refresh', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    alpha.control.getLogs = paged({ '': { entries: [], cursor: 'c1' }, c1: { entries: [line(1)], cursor: 'c2' } });
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(created.logCursor).toBe('c1');
    expect(alpha.calls.getLogs.map((call) => call.cursor)).toEqual([null]);
    expect(await scope.deployments.listLogs(created.id)).toEqual([]);
    expect((await scope.deployments.refresh(created.id)).logCursor).toBe('c2');
    expect(alpha.calls.getLogs.map((call) => call.cursor)).toEqual([null, 'c1', 'c2']);
    expect((await scope.deployments.listLogs(created.id)).map((log) => log.message)).toEqual(['line 1']);

    // No cursor at all: every call answers the newest lines.
    let n = 100;
    alpha.control.getLogs = async () => {
      n += 1;
      return { entries: [line(n)], cursor: null };
    };
    alpha.calls.getLogs.length = 0;
    const plain = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    expect(alpha.calls.getLogs).toEqual([{ providerDeploymentId: 'alpha-2', cursor: null }]);
    await scope.deployments.refresh(plain.id);
    expect(alpha.calls.getLogs).toHaveLength(2);
    expect((await scope.deployments.listLogs(plain.id)).map((log) => [log.sequence, log.message])).toEqual([
      [1, 'line 101'],
      [2, 'line 102'],
    ]);
    expect((await scope.deployments.get(plain.id)).logCursor).toBeNull();
  });

  it('never asks a provider without logs for them', async () => {
    const { scope, quiet, project, v1 } = kit();
    quiet.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'live', providerStatus: 'READY', url: 'https://q.example' });
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'quiet' });
    expect((await scope.deployments.refresh(created.id)).status).toBe('live');
    expect(quiet.calls.getLogs).toEqual([]);
    expect(await scope.deployments.listLogs(created.id)).toEqual([]);
  });

  it('captures the logs of a failed build on refresh, and warns when the logs cannot be read while the status still moves', async () => {
    const { scope, alpha, project, v1, v2, warnings, updates, organizationId } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'failed', providerStatus: 'ERROR', url: null, error: { code: 'BUILD_FAILED', message: 'npm ERR!' } });
    alpha.control.getLogs = paged({ '': { entries: [line(1, { level: 'error', message: 'npm ERR! missing script: build' })], cursor: 'c1' } });
    expect((await scope.deployments.refresh(created.id)).status).toBe('failed');
    expect((await scope.deployments.listLogs(created.id)).map((log) => log.message)).toEqual(['npm ERR! missing script: build']);

    const second = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'live', providerStatus: 'READY', url: 'https://two.example' });
    alpha.control.getLogs = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'log service down', status: 503 });
    };
    updates.length = 0;
    expect((await scope.deployments.refresh(second.id)).status).toBe('live');
    expect(warnings).toEqual([{ organizationId, projectId: project.id, code: 'DEPLOYMENT_LOGS_FAILED', message: 'log service down' }]);
    expect(updates.map((deployment) => [deployment.id, deployment.status])).toEqual([[second.id, 'live']]);
  });

  it('does not fail a deployment whose logs cannot be read when it is accepted', async () => {
    const { scope, alpha, project, v1, warnings } = kit();
    alpha.control.deploy = async (_input, n) => ({ providerDeploymentId: `alpha-${n}`, status: 'live', providerStatus: 'READY', url: 'https://one.example' });
    alpha.control.getLogs = async () => {
      throw new Error('no logs yet');
    };
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(created).toMatchObject({ status: 'live', error: null, url: 'https://one.example' });
    expect(alpha.calls.deploy).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('reads no logs for a deployment destroyed while its provider was creating it', async () => {
    const { scope, alpha, project, v1 } = kit();
    const deploying = gate();
    alpha.control.deploy = async (_input, n) => {
      deploying.enter();
      await deploying.held;
      return { providerDeploymentId: `alpha-${n}`, status: 'live', providerStatus: 'READY', url: 'https://one.example' };
    };
    alpha.control.getLogs = paged({ '': { entries: [line(1)], cursor: 'c1' } });
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await deploying.entered;
    const [pending] = (await scope.deployments.list({ projectId: project.id })).items;
    await scope.deployments.destroy(pending?.id as string);
    deploying.release();
    expect((await creating).status).toBe('destroyed');
    expect(alpha.calls.getLogs).toEqual([]);
    expect(await scope.deployments.listLogs(pending?.id as string)).toEqual([]);
  });

  it('lists logs after a sequence number, at most a limit, in order; refuses bad options and other organizations', async () => {
    const { scope, alpha, project, v1, vector } = kit();
    alpha.control.getLogs = paged({ '': { entries: [1, 2, 3, 4, 5].map((n) => line(n)), cursor: 'c1' } });
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const sequences = async (options?: { afterSequence?: number; limit?: number }) => (await scope.deployments.listLogs(created.id, options)).map((log) => log.sequence);
    expect(await sequences()).toEqual([1, 2, 3, 4, 5]);
    expect(await sequences({ afterSequence: 2 })).toEqual([3, 4, 5]);
    expect(await sequences({ limit: 2 })).toEqual([1, 2]);
    expect(await sequences({ afterSequence: 1, limit: 3 })).toEqual([2, 3, 4]);
    expect(await sequences({ afterSequence: 5 })).toEqual([]);
    await expect(scope.deployments.listLogs(created.id, { afterSequence: -1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid log query at afterSequence: /) });
    await expect(scope.deployments.listLogs(created.id, { limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const other = await vector.organizations.create({ name: 'Other' }, { type: 'user', id: 'user-2' });
    const otherScope = vector.scope({ organizationId: other.id, actor: { type: 'user', id: 'user-2' } });
    await expect(otherScope.deployments.listLogs(created.id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `deployment ${created.id} was not found` });
  });
});

describeEachDatabase('deployment logs read by two engines at once', (database) => {
  it('stores a page once: the engine that finds it already stored stops there, quietly', async () => {
    const connection = await database.create();
    const actor: Actor = { type: 'user', id: 'user-1' };
    const first = scriptedProvider('alpha', { logs: true });
    const second = scriptedProvider('alpha', { logs: true });
    const options = { database: connection, storage: [createMemoryStorage()], roles: ['api' as const] };
    const a = createVector({ ...options, providers: [first.provider] });
    const b = createVector({ ...options, providers: [second.provider] });
    try {
      await a.start();
      await b.start();
      const organization = await a.organizations.create({ name: 'Acme' }, actor);
      const scopeA = a.scope({ organizationId: organization.id, actor });
      const scopeB = b.scope({ organizationId: organization.id, actor });
      const project = await scopeA.projects.create({ name: 'Site' });
      const version = await scopeA.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('first'), message: 'v1' });
      const created = await scopeA.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
      const warnings: string[] = [];
      a.events.on('warning', (payload) => warnings.push(payload.code));
      b.events.on('warning', (payload) => warnings.push(payload.code));
      const pages: Record<string, ProviderLogPage> = { '': { entries: [line(1), line(2)], cursor: 'c1' } };
      const gateA = gate();
      const gateB = gate();
      first.calls.getLogs.length = 0;
      first.control.getLogs = async (input) => {
        gateA.enter();
        await gateA.held;
        return paged(pages)(input);
      };
      second.control.getLogs = async (input) => {
        gateB.enter();
        await gateB.held;
        return paged(pages)(input);
      };
      const refreshA = scopeA.deployments.refresh(created.id);
      const refreshB = scopeB.deployments.refresh(created.id);
      await Promise.all([gateA.entered, gateB.entered]);
      gateB.release();
      expect((await refreshB).logCursor).toBe('c1');
      gateA.release();
      expect((await refreshA).logCursor).toBe('c1');
      expect((await scopeA.deployments.listLogs(created.id)).map((log) => [log.sequence, log.message])).toEqual([
        [1, 'line 1'],
        [2, 'line 2'],
      ]);
      expect(first.calls.getLogs.map((call) => call.cursor)).toEqual([null]);
      expect(second.calls.getLogs.map((call) => call.cursor)).toEqual([null, 'c1']);
      expect(warnings).toEqual([]);
    } finally {
      await a.dispose();
      await b.dispose();
      await connection.destroy();
    }
  });
});
