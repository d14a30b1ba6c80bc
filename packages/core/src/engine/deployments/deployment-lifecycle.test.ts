import { expect, it } from 'vitest';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ProviderError } from '../../errors/provider-error.js';
import type { DeployInput, ProviderDeploymentState } from '../../plugins/deployment-provider.js';
import type { Deployment } from '../../schemas/deployment.js';
import { sampleFiles } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { T0, at, gate, building, live, useDeploymentKit } from './deployment-test-kit.js';

// The deployment lifecycle (pending → building → live | failed → destroyed) as the driver moves
// it, on a frozen clock the test sets, with providers whose every answer the test scripts.

describeEachDatabase('the deployment lifecycle', (database) => {
  const kit = useDeploymentKit(database, { extra: { local: { localStatus: true } } });

  it('hands a new deployment to its provider with the version, its source, variables and secrets, and stores what it answers', async () => {
    const { scope, alpha, project, v1, organizationId, updates } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'preview', COLOR: 'blue' }, secrets: { API_KEY: 'super-secret' } });
    expect(alpha.calls.deploy).toHaveLength(1);
    const input = alpha.calls.deploy[0] as DeployInput;
    expect(input.deploymentId).toBe(created.id);
    expect(input.idempotencyKey).toBe(created.id);
    expect(input.project).toEqual({ id: project.id, organizationId, name: 'Site' });
    expect(input.version).toEqual({ id: v1.id, number: 1, storageRef: v1.storageRef });
    expect(input.environment).toBe('preview');
    expect(input.env).toEqual({ MODE: 'preview', COLOR: 'blue' });
    expect(input.secrets).toEqual({ API_KEY: 'super-secret' });
    expect(input.source.git).toBeNull();
    const files = await input.source.getFiles();
    expect(files.map((file) => file.path).sort()).toEqual(['index.html', 'package.json', 'src/main.js']);
    expect(created).toEqual({
      id: created.id,
      projectId: project.id,
      organizationId,
      versionId: v1.id,
      provider: 'alpha',
      environment: 'preview',
      status: 'building',
      providerDeploymentId: 'alpha-1',
      providerStatus: 'BUILDING',
      url: null,
      envKeys: ['API_KEY', 'COLOR', 'MODE'],
      expiresAt: at(86_400_000),
      idempotencyKey: null,
      error: null,
      logCursor: null,
      createdBy: 'user:user-1',
      createdAt: at(0),
      updatedAt: at(0),
      liveAt: null,
      destroyedAt: null,
    });
    // Announced once, as it was stored.
    expect(updates).toEqual([created]);
    expect(await scope.deployments.get(created.id)).toEqual(created);
  });

  it('passes the caller’s idempotency key to the provider', async () => {
    const { scope, alpha, project, v1 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', idempotencyKey: 'release-7' });
    expect(alpha.calls.deploy[0]?.idempotencyKey).toBe('release-7');
    expect(alpha.calls.deploy[0]?.environment).toBe('production');
    expect(created.idempotencyKey).toBe('release-7');
    expect(created.expiresAt).toBeNull();
  });

  it('moves through building, live, building, failed and destroyed as the provider reports, keeping url and liveAt', async () => {
    const { scope, alpha, project, v1, clock, updates } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    updates.length = 0;
    let answer: ProviderDeploymentState = building('alpha-1');
    alpha.control.getStatus = async () => answer;

    // Nothing changed: not announced.
    clock.ms = T0 + 1_000;
    expect((await scope.deployments.refresh(created.id)).status).toBe('building');
    expect(updates).toEqual([]);

    clock.ms = T0 + 5_000;
    answer = { providerDeploymentId: 'alpha-1', status: 'live', providerStatus: 'READY', url: 'https://one.example' };
    const live = await scope.deployments.refresh(created.id);
    expect(live).toMatchObject({ status: 'live', providerStatus: 'READY', url: 'https://one.example', liveAt: at(5_000), error: null, destroyedAt: null, updatedAt: at(5_000) });
    expect(updates.map((deployment) => deployment.status)).toEqual(['live']);

    // Still live later: the time it went live stays.
    clock.ms = T0 + 9_000;
    expect((await scope.deployments.refresh(created.id)).liveAt).toBe(at(5_000));
    expect(updates).toHaveLength(1);

    // Restarting, with no URL in the answer: the known URL and liveAt stay.
    clock.ms = T0 + 10_000;
    answer = { providerDeploymentId: 'alpha-1', status: 'building', providerStatus: 'RESTARTING', url: null };
    expect(await scope.deployments.refresh(created.id)).toMatchObject({ status: 'building', providerStatus: 'RESTARTING', url: 'https://one.example', liveAt: at(5_000), error: null });

    clock.ms = T0 + 11_000;
    answer = { providerDeploymentId: 'alpha-1', status: 'failed', providerStatus: 'CRASHED', url: null };
    expect(await scope.deployments.refresh(created.id)).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'The provider reported CRASHED' }, liveAt: at(5_000), destroyedAt: null });

    // A failed deployment is still asked when refreshed: its error follows the provider's.
    answer = { providerDeploymentId: 'alpha-1', status: 'failed', providerStatus: 'CRASHED', url: null, error: { code: 'OUT_OF_MEMORY', message: 'killed at 512 MB' } };
    expect((await scope.deployments.refresh(created.id)).error).toEqual({ code: 'OUT_OF_MEMORY', message: 'killed at 512 MB' });
    answer = { providerDeploymentId: 'alpha-1', status: 'live', providerStatus: 'READY', url: 'https://two.example' };
    expect(await scope.deployments.refresh(created.id)).toMatchObject({ status: 'live', error: null, url: 'https://two.example', liveAt: at(5_000) });

    clock.ms = T0 + 12_000;
    answer = { providerDeploymentId: 'alpha-1', status: 'destroyed', providerStatus: 'GONE', url: null };
    expect(await scope.deployments.refresh(created.id)).toMatchObject({ status: 'destroyed', destroyedAt: at(12_000), providerStatus: 'GONE' });
    expect(updates.map((deployment) => deployment.status)).toEqual(['live', 'building', 'failed', 'failed', 'live', 'destroyed']);

    // A destroyed deployment is never asked again, nor announced.
    const asked = alpha.calls.getStatus.length;
    expect((await scope.deployments.refresh(created.id)).status).toBe('destroyed');
    expect(alpha.calls.getStatus).toHaveLength(asked);
    expect(updates).toHaveLength(6);
  });

  it('announces a refresh that changes only the provider status, the URL, the error or the provider id', async () => {
    const { scope, alpha, project, v1, updates } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    let answer = building('alpha-1', { providerStatus: 'QUEUED' });
    alpha.control.getStatus = async () => answer;
    updates.length = 0;
    await scope.deployments.refresh(created.id);
    expect(updates.map((deployment) => deployment.providerStatus)).toEqual(['QUEUED']);
    answer = building('alpha-1', { providerStatus: 'QUEUED', url: 'https://soon.example' });
    await scope.deployments.refresh(created.id);
    expect(updates.map((deployment) => deployment.url)).toEqual([null, 'https://soon.example']);
    answer = building('alpha-1b', { providerStatus: 'QUEUED', url: 'https://soon.example' });
    await scope.deployments.refresh(created.id);
    expect(updates.map((deployment) => deployment.providerDeploymentId)).toEqual(['alpha-1', 'alpha-1', 'alpha-1b']);
    answer = { providerDeploymentId: 'alpha-1b', status: 'failed', providerStatus: 'QUEUED', url: 'https://soon.example', error: { code: 'A', message: 'first' } };
    await scope.deployments.refresh(created.id);
    answer = { ...answer, error: { code: 'B', message: 'second' } };
    await scope.deployments.refresh(created.id);
    expect(updates.map((deployment) => deployment.error?.code ?? null)).toEqual([null, null, null, 'A', 'B']);
    // The same answer again changes nothing.
    await scope.deployments.refresh(created.id);
    expect(updates).toHaveLength(5);
  });

  it('announces a refresh that changes only the status (a platform status that spans two of ours)', async () => {
    const { scope, alpha, project, v1, updates } = kit();
    alpha.control.deploy = async (_input, n) => ({ providerDeploymentId: `alpha-${n}`, status: 'building', providerStatus: 'running', url: 'http://127.0.0.1:4000' });
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'live', providerStatus: 'running', url: 'http://127.0.0.1:4000' });
    updates.length = 0;
    expect((await scope.deployments.refresh(created.id)).status).toBe('live');
    expect(updates.map((deployment) => [deployment.id, deployment.status])).toEqual([[created.id, 'live']]);
  });

  it('polls a build at a quarter of its age, between the base and the maximum interval', async () => {
    const { scope, project, v1, clock, row } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect((await row(created.id)).next_poll_at).toBe(at(100));
    clock.ms = T0 + 200;
    await scope.deployments.refresh(created.id);
    expect((await row(created.id)).next_poll_at).toBe(at(300));
    clock.ms = T0 + 60_000;
    await scope.deployments.refresh(created.id);
    expect((await row(created.id)).next_poll_at).toBe(at(75_000));
    clock.ms = T0 + 3_600_000;
    await scope.deployments.refresh(created.id);
    expect((await row(created.id)).next_poll_at).toBe(at(3_630_000));
  });

  it('polls a provider that answers from memory at the base interval, and backs off when it fails', async () => {
    const { scope, local, project, v1, clock, row, warnings } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'local' });
    clock.ms = T0 + 60_000;
    await scope.deployments.refresh(created.id);
    expect((await row(created.id)).next_poll_at).toBe(at(60_100));
    local.control.getStatus = async () => {
      throw new ProviderError({ provider: 'local', message: 'busy', status: 503 });
    };
    await scope.deployments.refresh(created.id);
    // Age 60 s: a quarter is 15 s, doubled for one failure.
    expect(await row(created.id)).toEqual({ next_poll_at: at(90_000), poll_failures: 1 });
    expect(warnings.map((warning) => warning.code)).toEqual(['DEPLOYMENT_POLL_FAILED']);
  });

  it('keeps a deployment whose provider is briefly unreachable, warning, and fails it after the maximum of consecutive failures', async () => {
    const { scope, alpha, project, v1, clock, row, warnings, updates, organizationId } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    let down = true;
    alpha.control.getStatus = async ({ providerDeploymentId }) => {
      if (down) throw new ProviderError({ provider: 'alpha', message: 'platform 503', status: 503 });
      return building(providerDeploymentId);
    };
    updates.length = 0;
    clock.ms = T0 + 400;
    expect((await scope.deployments.refresh(created.id)).status).toBe('building');
    expect(await row(created.id)).toEqual({ next_poll_at: at(600), poll_failures: 1 });
    expect(warnings).toEqual([{ organizationId, projectId: project.id, code: 'DEPLOYMENT_POLL_FAILED', message: 'platform 503' }]);
    expect(updates.map((deployment) => deployment.status)).toEqual(['building']);
    expect((await scope.deployments.refresh(created.id)).status).toBe('building');
    expect(await row(created.id)).toEqual({ next_poll_at: at(800), poll_failures: 2 });

    // An answer resets the count: two more failures are still tolerated.
    down = false;
    await scope.deployments.refresh(created.id);
    expect(await row(created.id)).toEqual({ next_poll_at: at(500), poll_failures: 0 });
    down = true;
    await scope.deployments.refresh(created.id);
    await scope.deployments.refresh(created.id);
    expect((await scope.deployments.get(created.id)).status).toBe('building');
    const failed = await scope.deployments.refresh(created.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'platform 503' } });
    expect((await row(created.id)).poll_failures).toBe(3);
    expect(warnings).toHaveLength(4);
    expect(updates.at(-1)?.status).toBe('failed');
  });

  it('fails a deployment at once when the provider no longer knows it, or answers with an error that is not retryable', async () => {
    const { scope, alpha, project, v1, v2, row, warnings, updates } = kit();
    const gone = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.getStatus = async () => {
      throw new NotFoundError({ entity: 'deployment', id: 'alpha-1' });
    };
    updates.length = 0;
    expect((await scope.deployments.refresh(gone.id)).error).toEqual({ code: 'NOT_FOUND', message: 'The provider no longer knows this deployment' });
    expect((await row(gone.id)).poll_failures).toBe(1);
    expect(updates.map((deployment) => [deployment.id, deployment.status])).toEqual([[gone.id, 'failed']]);

    const refused = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    alpha.control.getStatus = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'bad token', status: 401 });
    };
    expect(await scope.deployments.refresh(refused.id)).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'bad token' } });

    const broken = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    alpha.control.getStatus = async () => {
      throw new Error('socket hang up');
    };
    expect(await scope.deployments.refresh(broken.id)).toMatchObject({ status: 'failed', error: { code: 'INTERNAL', message: 'Deployment provider alpha failed: socket hang up' } });
    expect(warnings).toEqual([]);
  });

  it('gives up a deployment its provider never acknowledged after five minutes, and leaves one that failed to start as it is', async () => {
    const { scope, alpha, project, v1, v2, clock, updates } = kit();
    const deploying = gate();
    alpha.control.deploy = async (input, n) => {
      deploying.enter();
      await deploying.held;
      throw new ProviderError({ provider: 'alpha', message: `deploy ${n} refused`, status: 400 });
    };
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await deploying.entered;
    const [pending] = (await scope.deployments.list({ projectId: project.id })).items;
    const id = pending?.id as string;
    expect(pending?.status).toBe('pending');
    clock.ms = T0 + 300_000;
    expect((await scope.deployments.refresh(id)).status).toBe('pending');
    expect(updates).toEqual([]);
    clock.ms = T0 + 300_001;
    const orphan = await scope.deployments.refresh(id);
    expect(orphan).toMatchObject({ status: 'failed', error: { code: 'INTERNAL', message: 'The deployment was interrupted before the provider accepted it; deploy again' }, updatedAt: at(300_001) });
    expect(updates.map((deployment) => [deployment.id, deployment.status])).toEqual([[id, 'failed']]);
    expect(alpha.calls.getStatus).toEqual([]);
    deploying.release();
    expect((await creating).error).toEqual({ code: 'PROVIDER_ERROR', message: 'deploy 1 refused' });

    // Failed before the provider accepted it: refreshing later keeps its own error.
    alpha.control.deploy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'quota exceeded', status: 402 });
    };
    const refused = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect(refused).toMatchObject({ status: 'failed', providerDeploymentId: null, error: { code: 'PROVIDER_ERROR', message: 'quota exceeded' } });
    clock.ms = T0 + 3_600_000;
    updates.length = 0;
    expect(await scope.deployments.refresh(refused.id)).toEqual(refused);
    expect(updates).toEqual([]);
  });

  it('asks the provider once for concurrent refreshes of one deployment, and again for a later one', async () => {
    const { scope, alpha, project, v1 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const polling = gate();
    alpha.control.getStatus = async ({ providerDeploymentId }) => {
      polling.enter();
      await polling.held;
      return { providerDeploymentId, status: 'live', providerStatus: 'READY', url: 'https://one.example' };
    };
    const first = scope.deployments.refresh(created.id);
    await polling.entered;
    const second = scope.deployments.refresh(created.id);
    polling.release();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual(b);
    expect(a.status).toBe('live');
    expect(alpha.calls.getStatus).toEqual(['alpha-1']);
    await scope.deployments.refresh(created.id);
    expect(alpha.calls.getStatus).toEqual(['alpha-1', 'alpha-1']);
  });

  it('never resurrects a deployment destroyed while its status was being asked, and destroys it at the provider once', async () => {
    const { scope, alpha, project, v1 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const polling = gate();
    alpha.control.getStatus = async ({ providerDeploymentId }) => {
      polling.enter();
      await polling.held;
      return { providerDeploymentId, status: 'live', providerStatus: 'READY', url: 'https://one.example' };
    };
    const refreshing = scope.deployments.refresh(created.id);
    await polling.entered;
    expect((await scope.deployments.destroy(created.id)).status).toBe('destroyed');
    polling.release();
    expect((await refreshing).status).toBe('destroyed');
    expect((await scope.deployments.get(created.id)).status).toBe('destroyed');
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
  });

  it('tears down what the provider made for a deployment destroyed while it was created, and records its id', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    const deploying = gate();
    alpha.control.deploy = async (_input, n) => {
      deploying.enter();
      await deploying.held;
      return { providerDeploymentId: `alpha-${n}`, status: 'live', providerStatus: 'READY', url: 'https://one.example' };
    };
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await deploying.entered;
    const [pending] = (await scope.deployments.list({ projectId: project.id })).items;
    const destroyed = await scope.deployments.destroy(pending?.id as string);
    expect(destroyed).toMatchObject({ status: 'destroyed', providerDeploymentId: null });
    expect(alpha.calls.destroy).toEqual([]);
    deploying.release();
    const final = await creating;
    expect(final).toMatchObject({ id: pending?.id, status: 'destroyed', providerDeploymentId: 'alpha-1', url: null });
    expect(alpha.calls.destroy).toEqual(['alpha-1']);

    // A provider that already reports it destroyed has nothing left to tear down.
    const again = gate();
    alpha.control.deploy = async (_input, n) => {
      again.enter();
      await again.held;
      return { providerDeploymentId: `alpha-${n}`, status: 'destroyed', providerStatus: 'GONE', url: null };
    };
    const second = scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    await again.entered;
    const pendingSecond = (await scope.deployments.list({ projectId: project.id, status: 'pending' })).items[0];
    await scope.deployments.destroy(pendingSecond?.id as string);
    again.release();
    expect((await second).status).toBe('destroyed');
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
  });

  it('destroys on request: at the provider, then marked, audited and announced; a second destroy does nothing', async () => {
    const { scope, alpha, project, v1, clock, updates, actor, organizationId } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    clock.ms = T0 + 7_000;
    updates.length = 0;
    const destroyed = await scope.deployments.destroy(created.id);
    expect(destroyed).toMatchObject({ id: created.id, status: 'destroyed', destroyedAt: at(7_000), updatedAt: at(7_000), providerDeploymentId: 'alpha-1' });
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
    expect(updates).toEqual([destroyed]);
    const audit = await scope.audit.list({ action: 'deployment.destroy' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ organizationId, projectId: project.id, actor, action: 'deployment.destroy', entityType: 'deployment', entityId: created.id, beforeId: created.id, afterId: null, data: { environment: 'production', provider: 'alpha' } });

    clock.ms = T0 + 9_000;
    expect(await scope.deployments.destroy(created.id)).toEqual(destroyed);
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
    expect((await scope.audit.list({ action: 'deployment.destroy' })).items).toHaveLength(1);
    expect(updates).toHaveLength(1);
  });

  it('leaves a deployment running when its provider cannot destroy it', async () => {
    const { scope, alpha, project, v1, updates } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.destroy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'platform 503', status: 503 });
    };
    updates.length = 0;
    await expect(scope.deployments.destroy(created.id)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: 'platform 503' });
    expect((await scope.deployments.get(created.id)).status).toBe('building');
    expect((await scope.audit.list({ action: 'deployment.destroy' })).items).toEqual([]);
    expect(updates).toEqual([]);
  });

  it('drops a destroyed preview’s own copy of the data, and only that', async () => {
    const { scope, project, v1 } = kit();
    await scope.data.createTable({ projectId: project.id, name: 'todos', columns: [{ name: 'title', type: 'string' }] });
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect((await scope.data.listTables(project.id, { deploymentId: preview.id })).map((table) => table.name)).toEqual(['todos']);
    await scope.deployments.destroy(preview.id);
    expect(await scope.data.listTables(project.id, { deploymentId: preview.id })).toEqual([]);
    expect((await scope.data.listTables(project.id)).map((table) => table.name)).toEqual(['todos']);
  });
});

describeEachDatabase('poll backoff under many failures', (database) => {
  const kit = useDeploymentKit(database, { extra: { local: { localStatus: true } }, options: () => ({ deploymentMaxPollFailures: 20, deploymentMaxPollIntervalMs: 3_600_000 }) });

  it('doubles the poll interval per consecutive failure, at most ten times', async () => {
    const { scope, alpha, project, v1, clock, row } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.getStatus = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'platform 503', status: 503 });
    };
    clock.ms = T0 + 400;
    const gaps: number[] = [];
    for (let failure = 1; failure <= 12; failure += 1) {
      await scope.deployments.refresh(created.id);
      gaps.push(Date.parse((await row(created.id)).next_poll_at as string) - clock.ms);
    }
    expect(gaps).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 102_400, 102_400, 102_400]);
  });
});

describeEachDatabase('production replacement', (database) => {
  const kit = useDeploymentKit(database, { extra: { local: { localStatus: true } } });

  const live = (providerDeploymentId: string): ProviderDeploymentState => ({ providerDeploymentId, status: 'live', providerStatus: 'READY', url: `https://${providerDeploymentId}.example` });

  it('retires every earlier production deployment still running once the newest is live, as the system, audited as a replacement', async () => {
    const { scope, alpha, project, v1, v2, updates, organizationId } = kit();
    const older = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect([older.status, newer.status]).toEqual(['building', 'building']);
    alpha.control.getStatus = async ({ providerDeploymentId }) => (providerDeploymentId === 'alpha-3' ? live(providerDeploymentId) : building(providerDeploymentId));
    updates.length = 0;
    expect((await scope.deployments.refresh(newer.id)).status).toBe('live');
    expect((await scope.deployments.get(older.id)).status).toBe('destroyed');
    expect((await scope.deployments.get(preview.id)).status).toBe('building');
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
    // The replaced one is announced first: the winner's refresh ends after retiring it.
    expect(updates.map((deployment) => [deployment.id, deployment.status])).toEqual([
      [older.id, 'destroyed'],
      [newer.id, 'live'],
    ]);
    const audit = await scope.audit.list({ action: 'deployment.replace' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ organizationId, projectId: project.id, actor: { type: 'system', id: 'vector' }, entityType: 'deployment', entityId: older.id, beforeId: older.id, data: { environment: 'production', provider: 'alpha' } });
  });

  it('keeps a newer production deployment that is still building when an older one goes live', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    const older = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => (providerDeploymentId === 'alpha-1' ? live(providerDeploymentId) : building(providerDeploymentId));
    expect((await scope.deployments.refresh(older.id)).status).toBe('live');
    expect((await scope.deployments.get(newer.id)).status).toBe('building');
    expect(alpha.calls.destroy).toEqual([]);
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    expect((await scope.deployments.refresh(newer.id)).status).toBe('live');
    expect((await scope.deployments.get(older.id)).status).toBe('destroyed');
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
  });

  it('leaves failed production deployments and other projects alone', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    const other = await scope.projects.create({ name: 'Other' });
    const otherVersion = await scope.versions.create({ projectId: other.id, parentVersionId: null, files: sampleFiles('other'), message: 'v1' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    const elsewhere = await scope.deployments.create({ projectId: other.id, versionId: otherVersion.id, environment: 'production' });
    await scope.deployments.refresh(elsewhere.id);
    const crashed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'failed', providerStatus: 'CRASHED', url: null });
    expect((await scope.deployments.refresh(crashed.id)).status).toBe('failed');
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    expect((await scope.deployments.refresh(newer.id)).status).toBe('live');
    expect((await scope.deployments.get(crashed.id)).status).toBe('failed');
    expect((await scope.deployments.get(elsewhere.id)).status).toBe('live');
    expect(alpha.calls.destroy).toEqual([]);
  });

  it('warns when the replaced deployment cannot be destroyed, keeps the new one live, and retires only on the move to live', async () => {
    const { scope, alpha, project, v1, v2, warnings, organizationId } = kit();
    alpha.control.deploy = async (_input, n) => live(`alpha-${n}`);
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    const older = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    alpha.control.destroy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'platform 503', status: 503 });
    };
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect(newer.status).toBe('live');
    expect((await scope.deployments.get(older.id)).status).toBe('live');
    expect(warnings).toEqual([{ organizationId, projectId: project.id, code: 'DEPLOYMENT_RETIRE_FAILED', message: 'platform 503' }]);

    // The platform is back, but a refresh that finds either still live, or a preview going
    // live, is no move to live: the retry is the monitor's.
    alpha.control.destroy = async () => undefined;
    await scope.deployments.refresh(newer.id);
    await scope.deployments.refresh(older.id);
    await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    // Nor is a third production deployment's build going on.
    alpha.control.deploy = async (_input, n) => building(`alpha-${n}`);
    alpha.control.getStatus = async ({ providerDeploymentId }) => (providerDeploymentId === 'alpha-4' ? building(providerDeploymentId) : live(providerDeploymentId));
    const third = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    expect((await scope.deployments.refresh(third.id)).status).toBe('building');
    expect((await scope.deployments.get(older.id)).status).toBe('live');
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
  });

  it('retires an earlier production deployment its provider has not accepted yet, and tears it down once it has', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    const deploying = gate();
    alpha.control.deploy = async (_input, n) => {
      if (n === 1) {
        deploying.enter();
        await deploying.held;
      }
      return live(`alpha-${n}`);
    };
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    await deploying.entered;
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect(newer.status).toBe('live');
    const [older] = (await scope.deployments.list({ projectId: project.id, status: 'destroyed' })).items;
    expect(older).toMatchObject({ versionId: v1.id, providerDeploymentId: null });
    expect(alpha.calls.destroy).toEqual([]);
    deploying.release();
    expect(await creating).toMatchObject({ id: older?.id, status: 'destroyed', providerDeploymentId: 'alpha-1' });
    expect(alpha.calls.destroy).toEqual(['alpha-1']);
    expect((await scope.deployments.get(newer.id)).status).toBe('live');
  });
});
