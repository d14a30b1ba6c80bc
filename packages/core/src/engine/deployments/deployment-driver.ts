import type { Selectable } from 'kysely';
import { InternalError } from '../../errors/internal-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ProviderError } from '../../errors/provider-error.js';
import { UnsupportedError } from '../../errors/unsupported-error.js';
import { VectorError } from '../../errors/vector-error.js';
import type { DeploymentProvider, DeploymentSource, ProviderDeploymentState, ProviderLogPage } from '../../plugins/deployment-provider.js';
import { publishedGitSourceSchema } from '../../plugins/source-mirror.js';
import type { GitSource, StorageBackend, StorageProject } from '../../plugins/storage-backend.js';
import type { Actor } from '../../schemas/common.js';
import type { Deployment } from '../../schemas/deployment.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { CoreDatabase } from '../store/database-schema.js';
import type { EngineContext } from '../engine-context.js';
import { fromJson, toJson } from '../store/json-column.js';
import { toDeployment, toDeploymentLog } from '../store/row-mappers.js';
import { storageFor, toStorageProject } from '../scope-context.js';
import { dropDataBranch } from '../data/data-branches.js';
import { dataTokenFor } from '../data/data-tokens.js';
import { previewBranch } from '../data/data-history.js';
import { appendDeploymentLogs, type DeploymentRow, markDestroyed, recordMirroredSource, recordProviderDeploymentId, type SourceMirrorRow, updateDeployment } from './deployment-store.js';
import { errorInfo } from '../error-info.js';
import { SpanStatusCode } from '@opentelemetry/api';
import { withSpan } from '../telemetry/engine-telemetry.js';

type ProjectRow = Selectable<CoreDatabase['vector_projects']>;
type VersionRow = Selectable<CoreDatabase['vector_code_versions']>;

const systemActor: Actor = { type: 'system', id: 'vector' };
/** A deployment the provider never acknowledged is given up after this long. */
const ORPHAN_AFTER_MS = 5 * 60_000;

const toGitSource = (row: SourceMirrorRow): GitSource => ({ repositoryUrl: row.repository_url, owner: row.owner, repository: row.repository, branch: row.branch, commitSha: row.commit_sha });

/**
 * Drives deployments through pending → building → live | failed → destroyed: the initial
 * provider call, status polling with exponential backoff, incremental log capture,
 * production replacement and the preview reaper. One per engine.
 */
export function createDeploymentDriver(engine: EngineContext) {
  const { db } = engine;
  const inFlight = new Map<string, Promise<Deployment>>();

  function providerOf(row: DeploymentRow): DeploymentProvider {
    const provider = engine.providers.get(row.provider);
    if (!provider) throw new InternalError({ message: `Deployment ${row.id} uses provider ${row.provider}, which is not registered with this engine` });
    return provider;
  }

  function emit(row: DeploymentRow): Deployment {
    const deployment = toDeployment(row);
    engine.events.emit('deployment.updated', { organizationId: row.organization_id, projectId: row.project_id, deployment });
    return deployment;
  }

  // Never resurrects a destroyed deployment: a late poll must not overwrite `destroyed`.
  const update = async (row: DeploymentRow, patch: Partial<DeploymentRow>): Promise<DeploymentRow> => {
    const updated = await updateDeployment(engine, row.id, patch);
    if (updated.status !== row.status) recordDeploymentStatus(engine, row.status, updated);
    return updated;
  };

  /**
   * Backoff: a deployment is polled at a quarter of its age (so a slow build is asked less
   * and less often, sparing the platform's rate limits), never faster than the base interval,
   * doubling per consecutive failure, and never slower than the maximum interval. A provider
   * that answers from its own memory (`capabilities.localStatus`) is polled at the base
   * interval while it answers, so its logs arrive while they happen.
   */
  function nextPollAt(row: Pick<DeploymentRow, 'created_at' | 'provider'>, failures: number): string {
    const now = engine.now().getTime();
    if (failures === 0 && engine.providers.get(row.provider)?.capabilities.localStatus) return new Date(now + engine.settings.deploymentPollIntervalMs).toISOString();
    const age = Math.max(0, now - Date.parse(row.created_at));
    const base = Math.max(engine.settings.deploymentPollIntervalMs, age / 4);
    const delay = Math.min(engine.settings.deploymentMaxPollIntervalMs, base * 2 ** Math.min(failures, 10));
    return new Date(now + delay).toISOString();
  }

  async function applyState(row: DeploymentRow, state: ProviderDeploymentState): Promise<DeploymentRow> {
    const now = engine.nowIso();
    const updated = await update(row, {
      provider_deployment_id: state.providerDeploymentId,
      status: state.status,
      provider_status: state.providerStatus,
      url: state.url ?? row.url,
      error: state.status === 'failed' ? toJson(state.error ?? { code: 'PROVIDER_ERROR', message: `The provider reported ${state.providerStatus}` }) : null,
      live_at: state.status === 'live' ? (row.live_at ?? now) : row.live_at,
      destroyed_at: state.status === 'destroyed' ? now : row.destroyed_at,
      poll_failures: 0,
      next_poll_at: nextPollAt(row, 0),
    });
    if (updated.status === 'destroyed' && updated.provider_deployment_id === null && state.status !== 'destroyed') {
      // Destroyed while the provider was still creating it: tear down what it created, and
      // keep its id so the row says what existed.
      await providerOf(row).destroy({ providerDeploymentId: state.providerDeploymentId });
      await recordProviderDeploymentId(engine, row.id, state.providerDeploymentId);
    }
    if (updated.status === 'live' && row.status !== 'live' && updated.environment === 'production') await retireSupersededProduction(updated.project_id);
    return updated;
  }

  /**
   * Zero-downtime replacement: in a project, the newest live production deployment wins, and
   * every production deployment created before it is destroyed, but only once it is live.
   * A failure to destroy one is a warning (the winner stays live) and is retried by the
   * monitor's next pass.
   */
  async function retireSupersededProduction(projectId: string): Promise<void> {
    const rows = await db
      .selectFrom('vector_deployments')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('environment', '=', 'production')
      .where('status', 'in', ['pending', 'building', 'live'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const winner = rows.find((row) => row.status === 'live');
    if (!winner) return;
    for (const row of rows) {
      if (row.id === winner.id || row.created_at > winner.created_at) continue;
      try {
        await destroy(row, systemActor, 'deployment.replace');
      } catch (error) {
        engine.events.emit('warning', { organizationId: row.organization_id, projectId, code: 'DEPLOYMENT_RETIRE_FAILED', message: errorInfo(error).message });
      }
    }
  }

  async function captureLogs(row: DeploymentRow, provider: DeploymentProvider): Promise<void> {
    if (!provider.capabilities.logs || !row.provider_deployment_id) return;
    // Providers page their logs; follow the cursor a bounded number of pages per refresh.
    let cursor = row.log_cursor;
    for (let page = 0; page < 10; page += 1) {
      const next = await provider.getLogs({ providerDeploymentId: row.provider_deployment_id, cursor });
      if (next.entries.length === 0 && next.cursor === cursor) return;
      const stored = await storeLogPage(row, cursor, next);
      if (stored === null || next.entries.length === 0 || next.cursor === cursor) return;
      cursor = next.cursor;
    }
  }

  /** Stores one page unless a concurrent refresher already did (compare-and-set on the cursor). */
  async function storeLogPage(row: DeploymentRow, cursor: string | null, page: { entries: ProviderLogPage['entries']; cursor: string | null }): Promise<number | null> {
    const stored = await appendDeploymentLogs(engine, row.id, cursor, page);
    if (stored === null) return null;
    for (const log of stored) engine.events.emit('deployment.log', { organizationId: row.organization_id, projectId: row.project_id, deploymentId: row.id, log: toDeploymentLog(log) });
    return stored.length;
  }

  async function refreshRow(row: DeploymentRow): Promise<Deployment> {
    if (row.status === 'destroyed') return toDeployment(row);
    const provider = providerOf(row);
    if (!row.provider_deployment_id) {
      if (row.status === 'pending' && engine.now().getTime() - Date.parse(row.created_at) > ORPHAN_AFTER_MS) {
        return emit(await update(row, { status: 'failed', error: toJson({ code: 'INTERNAL', message: 'The deployment was interrupted before the provider accepted it; deploy again' }) }));
      }
      return toDeployment(row);
    }
    let current = row;
    try {
      const state = await provider.getStatus({ providerDeploymentId: row.provider_deployment_id });
      current = await applyState(row, state);
    } catch (error) {
      const gone = VectorError.isInstance(error) && error.code === 'NOT_FOUND';
      const failures = Number(row.poll_failures) + 1;
      const retryable = !gone && (ProviderError.isInstance(error) ? error.isRetryable : VectorError.isInstance(error) ? error.isRetryable : true);
      if (!retryable || failures >= engine.settings.deploymentMaxPollFailures) {
        const info = gone ? { code: 'NOT_FOUND', message: 'The provider no longer knows this deployment' } : errorInfo(error);
        return emit(await update(row, { status: 'failed', error: toJson(info), poll_failures: failures }));
      }
      engine.events.emit('warning', { organizationId: row.organization_id, projectId: row.project_id, code: 'DEPLOYMENT_POLL_FAILED', message: errorInfo(error).message });
      return emit(await update(row, { poll_failures: failures, next_poll_at: nextPollAt(row, failures) }));
    }
    try {
      await captureLogs(current, provider);
    } catch (error) {
      engine.events.emit('warning', { organizationId: row.organization_id, projectId: row.project_id, code: 'DEPLOYMENT_LOGS_FAILED', message: errorInfo(error).message });
    }
    const latest = await db.selectFrom('vector_deployments').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    // `deployment.updated` means something a watcher can see changed: a poll (or the
    // start-up reconcile) that finds the deployment as it was stays quiet.
    return changed(row, latest) ? emit(latest) : toDeployment(latest);
  }

  function changed(before: DeploymentRow, after: DeploymentRow): boolean {
    return before.status !== after.status || before.provider_status !== after.provider_status || before.url !== after.url || before.error !== after.error || before.provider_deployment_id !== after.provider_deployment_id;
  }

  /** Polls one deployment now; concurrent calls for one id share a single provider round. */
  function refresh(row: DeploymentRow): Promise<Deployment> {
    const running = inFlight.get(row.id);
    if (running) return running;
    const promise = db
      .selectFrom('vector_deployments')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirst()
      .then((fresh) => {
        if (!fresh) throw new NotFoundError({ entity: 'deployment', id: row.id });
        return refreshRow(fresh);
      })
      .finally(() => inFlight.delete(row.id));
    inFlight.set(row.id, promise);
    return promise;
  }

  /**
   * The commit the source mirror published for a version: the stored one when it was
   * published before (no call to the mirror), else a new publish, stored per (version,
   * mirror). Two deployments publishing one version at once both store the same answer
   * (mirrors are idempotent); the second insert is skipped and both read the stored row.
   */
  async function mirroredSource(project: ProjectRow, version: VersionRow, files: DeploymentSource['getFiles']): Promise<GitSource> {
    const mirror = engine.sourceMirror;
    if (!mirror) throw new InternalError({ message: 'No source mirror is configured' });
    const stored = () => db.selectFrom('vector_source_mirrors').selectAll().where('version_id', '=', version.id).where('mirror', '=', mirror.name).executeTakeFirst();
    const existing = await stored();
    if (existing) return toGitSource(existing);
    const answer = await mirror.publish({
      project: { id: project.id, organizationId: project.organization_id, name: project.name },
      version: { id: version.id, number: Number(version.number), storageRef: version.storage_ref, parentId: version.parent_id, message: version.message, createdAt: version.created_at },
      getFiles: files,
    });
    const parsed = publishedGitSourceSchema.safeParse(answer);
    if (!parsed.success) {
      throw new InternalError({ message: `Source mirror ${mirror.name} returned an invalid git source: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`, details: { plugin: mirror.name, kind: 'Source mirror' } });
    }
    const git = parsed.data;
    await recordMirroredSource(engine, { version_id: version.id, mirror: mirror.name, project_id: project.id, organization_id: project.organization_id, repository_url: git.repositoryUrl, owner: git.owner, repository: git.repository, branch: git.branch, commit_sha: git.commitSha, created_at: engine.nowIso() });
    const row = await stored();
    return row ? toGitSource(row) : git;
  }

  /**
   * What the provider builds from: the storage's git source when it has one; else, for a
   * provider that cannot take files, the source mirror's commit (when one is configured).
   */
  async function sourceFor(provider: DeploymentProvider, project: ProjectRow, version: VersionRow, backend: StorageBackend, storageProject: StorageProject): Promise<DeploymentSource> {
    const getFiles = () => backend.getFiles({ project: storageProject, ref: version.storage_ref });
    let git: GitSource | null = null;
    if (backend.capabilities.gitSource && backend.describeGitSource) git = await backend.describeGitSource({ project: storageProject, ref: version.storage_ref });
    else if (!provider.capabilities.sources.includes('files') && engine.sourceMirror) git = await mirroredSource(project, version, getFiles);
    return { git, getFiles };
  }

  /**
   * A git-only provider refusing a version that has no git source: the way out the provider
   * names (git-hosted storage) is one, a source mirror is the other.
   */
  function explainUnsupported(error: unknown, provider: DeploymentProvider, source: DeploymentSource | null): unknown {
    if (!UnsupportedError.isInstance(error) || engine.sourceMirror || source?.git !== null || provider.capabilities.sources.includes('files')) return error;
    return new UnsupportedError({
      message: `${error.message.replace(/[.\s]*$/, '')}. Alternatively, configure createVector({ sourceMirror }) (e.g. createGitHubSourceMirror from @vector/storage-github) to publish each version as a git commit the provider can build.`,
      details: { ...error.details, sourceMirror: 'createVector({ sourceMirror })' },
      cause: error,
    });
  }

  /**
   * Waits for a refresh of this deployment that is under way (by the monitor or another
   * caller), so a caller that sees it settled also sees what settling does: the replaced
   * production retired, the last log lines stored.
   */
  async function idle(deploymentId: string): Promise<void> {
    await inFlight.get(deploymentId)?.catch(() => undefined);
  }

  /** The variables that connect a deployment to its data, when the engine has a data API URL. */
  async function dataVariables(deploymentId: string): Promise<Record<string, string>> {
    const setting = engine.settings.dataApiUrl;
    const url = typeof setting === 'function' ? setting() : setting;
    if (url === undefined) return {};
    const token = await dataTokenFor(engine, deploymentId);
    return { VECTOR_DATA_URL: url, VECTOR_DATA_TOKEN: token, VITE_VECTOR_DATA_URL: url, VITE_VECTOR_DATA_TOKEN: token };
  }

  /** Hands a new deployment to its provider, retrying retryable failures a few times, in a `vector.deployment.start` span. */
  function start(row: DeploymentRow, secrets: Record<string, string>): Promise<Deployment> {
    const attributes = { 'vector.deployment.id': row.id, 'vector.deployment.provider': row.provider, 'vector.deployment.environment': row.environment, 'vector.project.id': row.project_id };
    return withSpan(engine.telemetry, 'vector.deployment.start', { attributes }, async (span) => {
      const deployment = await startUntraced(row, secrets);
      span.setAttribute('vector.deployment.status', deployment.status);
      if (deployment.status === 'failed') {
        const code = deployment.error?.code ?? 'INTERNAL';
        span.setAttribute('error.type', code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      }
      return deployment;
    });
  }

  async function startUntraced(row: DeploymentRow, secrets: Record<string, string>): Promise<Deployment> {
    const provider = providerOf(row);
    const [project, version] = await Promise.all([
      db.selectFrom('vector_projects').selectAll().where('id', '=', row.project_id).executeTakeFirstOrThrow(),
      db.selectFrom('vector_code_versions').selectAll().where('id', '=', row.version_id).executeTakeFirstOrThrow(),
    ]);
    const backend = storageFor(engine, project);
    const storageProject = toStorageProject(project);
    let source: DeploymentSource | null = null;
    let lastError: unknown = null;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        // Resolved inside the retry loop: a mirror outage is retried, and a failure ends in `failed`.
        source ??= await sourceFor(provider, project, version, backend, storageProject);
        const state = await provider.deploy({
          deploymentId: row.id,
          idempotencyKey: row.idempotency_key ?? row.id,
          project: { id: project.id, organizationId: project.organization_id, name: project.name },
          version: { id: version.id, number: Number(version.number), storageRef: version.storage_ref },
          environment: row.environment as 'preview' | 'production',
          source,
          env: { ...fromJson<Record<string, string>>(row.env), ...(await dataVariables(row.id)) },
          secrets,
        });
        const updated = await applyState(row, state);
        await captureLogs(updated, provider).catch(() => undefined);
        return emit(await db.selectFrom('vector_deployments').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow());
      } catch (error) {
        lastError = explainUnsupported(error, provider, source);
        const retryable = VectorError.isInstance(error) && error.isRetryable;
        if (!retryable) break;
        const hinted = ProviderError.isInstance(error) ? error.retryAfterMs : undefined;
        await new Promise((resolve) => setTimeout(resolve, Math.min(hinted ?? engine.settings.deploymentPollIntervalMs * 2 ** attempt, 10_000)));
      }
    }
    // A provider (or mirror) outage leaves the deployment failed with its error, never stuck.
    return emit(await update(row, { status: 'failed', error: toJson(errorInfo(lastError)) }));
  }

  /**
   * The one way to destroy a deployment: at its provider first, then the row marked
   * `destroyed` with its audit row, and `deployment.updated` announced after commit.
   * `action` names why (`deployment.destroy`, `.replace`, `.expire`, `.teardown`).
   */
  async function destroy(row: DeploymentRow, actor: Actor, action = 'deployment.destroy'): Promise<Deployment> {
    if (row.status === 'destroyed') return toDeployment(row);
    if (row.provider_deployment_id) await providerOf(row).destroy({ providerDeploymentId: row.provider_deployment_id });
    return engine.transaction(async (trx, afterCommit) => {
      const updated = await markDestroyed(engine, trx, row.id);
      afterCommit(() => recordDeploymentStatus(engine, row.status, updated));
      // A preview's data goes with it.
      if (row.environment === 'preview') await dropDataBranch(trx, row.project_id, previewBranch(row.id));
      await writeAudit(engine, trx, afterCommit, { organizationId: row.organization_id, projectId: row.project_id, actor, action, entityType: 'deployment', entityId: row.id, beforeId: row.id, data: { environment: row.environment, provider: row.provider } });
      const deployment = toDeployment(updated);
      afterCommit(() => engine.events.emit('deployment.updated', { organizationId: row.organization_id, projectId: row.project_id, deployment }));
      return deployment;
    });
  }

  /** One pass of the monitor: polls deployments that are due. */
  async function tick(): Promise<void> {
    const due = await db
      .selectFrom('vector_deployments')
      .selectAll()
      .where('status', 'in', ['pending', 'building'])
      .where((eb) => eb.or([eb('next_poll_at', 'is', null), eb('next_poll_at', '<=', engine.nowIso())]))
      .orderBy('next_poll_at')
      .limit(25)
      .execute();
    await Promise.all(due.map((row) => refresh(row).catch(() => undefined)));
    // Retry replacements whose destroy failed: projects with more than one live production.
    const crowded = await db
      .selectFrom('vector_deployments')
      .select('project_id')
      .where('environment', '=', 'production')
      .where('status', '=', 'live')
      .groupBy('project_id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .limit(25)
      .execute();
    for (const { project_id: projectId } of crowded) await retireSupersededProduction(projectId).catch(() => undefined);
  }

  /**
   * Asks each provider about every deployment the store says is live, once (run at start).
   * A deployment that ended with a previous process (a local server that is gone) must not
   * stay `live` at a dead URL: the provider reports it failed, or building while it restores
   * it, and the monitor takes it from there.
   */
  async function reconcile(): Promise<number> {
    let after = '';
    let checked = 0;
    for (;;) {
      const rows = await db.selectFrom('vector_deployments').selectAll().where('status', '=', 'live').where('id', '>', after).orderBy('id').limit(50).execute();
      if (rows.length === 0) return checked;
      const ours = rows.filter((row) => engine.providers.has(row.provider));
      await Promise.all(ours.map((row) => refresh(row).catch(() => undefined)));
      checked += ours.length;
      after = rows[rows.length - 1]?.id ?? after;
    }
  }

  /** Destroys previews whose `expires_at` has passed. */
  async function reap(): Promise<number> {
    const expired = await db
      .selectFrom('vector_deployments')
      .selectAll()
      .where('environment', '=', 'preview')
      .where('status', '!=', 'destroyed')
      .where('expires_at', '<=', engine.nowIso())
      .limit(100)
      .execute();
    let destroyed = 0;
    for (const row of expired) {
      try {
        await destroy(row, systemActor, 'deployment.expire');
        destroyed += 1;
      } catch (error) {
        engine.events.emit('warning', { organizationId: row.organization_id, projectId: row.project_id, code: 'PREVIEW_REAP_FAILED', message: errorInfo(error).message });
      }
    }
    return destroyed;
  }

  return { start, refresh, idle, destroy, tick, reap, reconcile };
}

/** The deployment driver of one engine. */
export type DeploymentDriver = ReturnType<typeof createDeploymentDriver>;

/**
 * Counts a deployment reaching a new status on this process's meters; one that ends its build
 * (live or failed, coming from pending or building) also records how long the build took.
 */
export function recordDeploymentStatus(engine: EngineContext, previous: string | null, row: DeploymentRow): void {
  const building = previous === null || previous === 'pending' || previous === 'building';
  const buildMs = building && (row.status === 'live' || row.status === 'failed') ? engine.now().getTime() - Date.parse(row.created_at) : null;
  engine.telemetry.metrics.deploymentStatus({ provider: row.provider, environment: row.environment, status: row.status, buildMs });
}
