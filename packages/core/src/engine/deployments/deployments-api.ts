import { SETTLED_DEPLOYMENT_STATUSES } from '../../helpers/settled-statuses.js';
import { z } from 'zod';
import { parseInput } from '../../errors/from-zod.js';
import { LimitExceededError } from '../../errors/limit-exceeded-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { idSchema } from '../../schemas/common.js';
import { createDeploymentInputSchema, deploymentFilterInputSchema, deploymentLogsOptionsInputSchema } from '../../schemas/inputs.js';
import { writeAudit } from '../audit/audit-writer.js';
import { migrateProjectData, readVersionDataSchema } from '../data/data-migrations.js';
import { forkDataBranch } from '../data/data-branches.js';
import { previewBranch } from '../data/data-history.js';
import type { DeploymentDriver } from './deployment-driver.js';
import { extendPreview, insertDeployment } from './deployment-store.js';
import { toJson } from '../store/json-column.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toDeployment, toDeploymentLog } from '../store/row-mappers.js';
import { loadProject, type ScopeContext } from '../scope-context.js';
import type { DeploymentsApi } from '../vector-types.js';

const settled: ReadonlySet<string> = new Set(SETTLED_DEPLOYMENT_STATUSES);

/** Deployments of one organization's projects. */
export function createDeploymentsApi(scope: ScopeContext, driver: DeploymentDriver): DeploymentsApi {
  const { engine, organizationId, actor } = scope;
  const { db } = engine;

  async function loadDeployment(deploymentId: string) {
    const id = parseInput(idSchema, deploymentId, 'deployment id');
    const row = await db.selectFrom('vector_deployments').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'deployment', id });
    return row;
  }

  return {
    async create(input) {
      const parsed = parseInput(createDeploymentInputSchema, input, 'deployment');
      const project = await loadProject(scope, parsed.projectId);
      const versionId = parsed.versionId ?? project.current_version_id;
      if (!versionId) throw new ValidationError({ message: `Project ${project.id} has no version to deploy yet`, issues: [{ path: ['versionId'], message: 'no version' }] });
      const version = await db.selectFrom('vector_code_versions').select(['id', 'storage_ref']).where('id', '=', versionId).where('project_id', '=', project.id).executeTakeFirst();
      if (!version) throw new NotFoundError({ entity: 'version', id: versionId });
      const providerName = parsed.provider ?? engine.defaultProvider;
      const provider = providerName ? engine.providers.get(providerName) : undefined;
      if (!providerName || !provider) {
        throw new ValidationError({
          message: `Unknown deployment provider ${providerName ?? '(none registered)'}; registered: ${[...engine.providers.keys()].join(', ') || 'none'}`,
          issues: [{ path: ['provider'], message: 'not registered' }],
        });
      }
      if (!provider.capabilities.environments.includes(parsed.environment)) {
        throw new ValidationError({ message: `Provider ${providerName} does not deploy to ${parsed.environment}`, issues: [{ path: ['environment'], message: 'unsupported by provider' }] });
      }
      if (parsed.idempotencyKey) {
        const existing = await db.selectFrom('vector_deployments').selectAll().where('project_id', '=', project.id).where('idempotency_key', '=', parsed.idempotencyKey).executeTakeFirst();
        if (existing) return toDeployment(existing);
      }
      const now = engine.now();
      const ttl = parsed.ttlSeconds ?? engine.settings.previewTtlSeconds;
      const expiresAt = parsed.environment === 'preview' ? new Date(now.getTime() + ttl * 1000).toISOString() : null;
      // One preview per (project, version): reuse a usable one and extend its life, unless the
      // caller brings secrets or different variables (e.g. rotating a leaked secret).
      const bringsEnvironment = Object.keys(parsed.secrets).length > 0 || Object.keys(parsed.env).length > 0;
      const sameEnvironment = async (candidate: { env: string }) => !bringsEnvironment || (Object.keys(parsed.secrets).length === 0 && candidate.env === toJson(parsed.env));
      if (parsed.environment === 'preview') {
        const reusable = await db
          .selectFrom('vector_deployments')
          .selectAll()
          .where('project_id', '=', project.id)
          .where('version_id', '=', versionId)
          .where('provider', '=', providerName)
          .where('environment', '=', 'preview')
          .where('status', 'in', ['pending', 'building', 'live'])
          .where('expires_at', '>', now.toISOString())
          .orderBy('created_at', 'desc')
          .executeTakeFirst();
        if (reusable && (await sameEnvironment(reusable))) {
          const extended = expiresAt && reusable.expires_at && reusable.expires_at > expiresAt ? reusable.expires_at : expiresAt;
          const updated = await extendPreview(engine, reusable.id, extended);
          return toDeployment(updated);
        }
      }
      // Production runs on the project's data, which moves to the version's schema with the
      // deployment; a preview gets a copy of it (its own branch) at the version's schema. Checked first.
      const dataSchema = await readVersionDataSchema(engine, project, version.storage_ref);
      const id = engine.newId();
      // Creation order decides which production deployment replaces which: never the same
      // millisecond as the project's latest deployment, so the newer one always sorts later.
      const latest = await db.selectFrom('vector_deployments').select('created_at').where('project_id', '=', project.id).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
      const createdAt = latest && Date.parse(latest.created_at) >= now.getTime() ? new Date(Date.parse(latest.created_at) + 1).toISOString() : now.toISOString();
      const row = {
        id,
        project_id: project.id,
        organization_id: organizationId,
        version_id: versionId,
        provider: providerName,
        environment: parsed.environment,
        status: 'pending',
        provider_deployment_id: null,
        provider_status: null,
        url: null,
        env: toJson(parsed.env),
        secret_keys: toJson(Object.keys(parsed.secrets).sort()),
        expires_at: expiresAt,
        idempotency_key: parsed.idempotencyKey ?? null,
        error: null,
        log_cursor: null,
        log_counter: 0,
        poll_failures: 0,
        next_poll_at: null,
        created_by: `${actor.type}:${actor.id}`,
        created_at: createdAt,
        updated_at: createdAt,
        live_at: null,
        destroyed_at: null,
      };
      try {
        await engine.transaction(async (trx, afterCommit) => {
          if (parsed.environment === 'production') {
            if (dataSchema) await migrateProjectData(engine, trx, afterCommit, { project, versionId, schema: dataSchema, actor, allowDestructive: parsed.allowDestructiveDataChanges });
          } else {
            // The preview's own data; what the migration drops or narrows is only its copy.
            const branch = previewBranch(id);
            await forkDataBranch(engine, trx, project, branch, `${actor.type}:${actor.id}`);
            if (dataSchema) await migrateProjectData(engine, trx, afterCommit, { project, versionId, schema: dataSchema, actor, allowDestructive: true, branch });
          }
          await insertDeployment(trx, row);
          afterCommit(() => engine.telemetry.metrics.deploymentStatus({ provider: providerName, environment: parsed.environment, status: 'pending', buildMs: null }));
          await writeAudit(engine, trx, afterCommit, {
            organizationId,
            projectId: project.id,
            actor,
            action: 'deployment.create',
            entityType: 'deployment',
            entityId: id,
            afterId: id,
            data: { environment: parsed.environment, provider: providerName, versionId, envKeys: Object.keys(parsed.env), secretKeys: Object.keys(parsed.secrets) },
          });
        });
      } catch (error) {
        // A concurrent retry with the same idempotency key won the insert: return its row.
        if (parsed.idempotencyKey) {
          const existing = await db.selectFrom('vector_deployments').selectAll().where('project_id', '=', project.id).where('idempotency_key', '=', parsed.idempotencyKey).executeTakeFirst();
          if (existing) return toDeployment(existing);
        }
        throw error;
      }
      return driver.start(row, parsed.secrets);
    },

    async get(deploymentId) {
      return toDeployment(await loadDeployment(deploymentId));
    },

    async list(filter, page) {
      const parsed = parseInput(deploymentFilterInputSchema, filter ?? {}, 'deployment filter');
      const { limit, cursor } = readPage(page);
      let query = db.selectFrom('vector_deployments').selectAll().where('organization_id', '=', organizationId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (parsed.projectId) query = query.where('project_id', '=', parsed.projectId);
      if (parsed.environment) query = query.where('environment', '=', parsed.environment);
      if (parsed.status) query = query.where('status', '=', parsed.status);
      if (cursor) query = query.where(afterCreatedCursor(cursor, 'desc'));
      return toPage(await query.execute(), limit, toDeployment, (row) => ({ key: row.created_at, id: row.id }));
    },

    async refresh(deploymentId) {
      return driver.refresh(await loadDeployment(deploymentId));
    },

    async listLogs(deploymentId, options) {
      const row = await loadDeployment(deploymentId);
      const parsed = parseInput(deploymentLogsOptionsInputSchema, options ?? {}, 'log query');
      const rows = await db
        .selectFrom('vector_deployment_logs')
        .selectAll()
        .where('deployment_id', '=', row.id)
        .where('sequence', '>', parsed.afterSequence)
        .orderBy('sequence')
        .limit(parsed.limit)
        .execute();
      return rows.map(toDeploymentLog);
    },

    async destroy(deploymentId) {
      return driver.destroy(await loadDeployment(deploymentId), actor);
    },

    async waitForDeployment(deploymentId, options) {
      const timeoutMs = parseInput(z.number().int().min(1).max(3_600_000).default(60_000), options?.timeoutMs, 'timeout');
      const deadline = Date.now() + timeoutMs;
      let row = await loadDeployment(deploymentId);
      for (;;) {
        if (settled.has(row.status)) {
          // The refresh that settled it may still be retiring the replaced production.
          await driver.idle(row.id);
          return toDeployment(await loadDeployment(deploymentId));
        }
        if (Date.now() >= deadline) throw new LimitExceededError({ limit: 'wait_timeout', message: `Deployment ${row.id} did not settle within ${timeoutMs} ms (status ${row.status})` });
        await driver.refresh(row);
        row = await loadDeployment(deploymentId);
        if (!settled.has(row.status)) await new Promise((resolve) => setTimeout(resolve, Math.min(engine.settings.deploymentPollIntervalMs, Math.max(1, deadline - Date.now()))));
      }
    },
  };
}
