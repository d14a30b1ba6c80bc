import { createEventBus } from './create-event-bus.js';
import { z } from 'zod';
import { mapDatabaseError } from '../db/map-database-error.js';
import { parseInput } from '../errors/from-zod.js';
import { ValidationError } from '../errors/validation-error.js';
import type { VectorDatabaseConnection } from '../db/create-database.js';
import type { Agent } from '../plugins/agent.js';
import type { DeploymentProvider } from '../plugins/deployment-provider.js';
import type { SourceMirror } from '../plugins/source-mirror.js';
import type { StorageBackend } from '../plugins/storage-backend.js';
import { actorSchema, idSchema } from '../schemas/common.js';
import { modelPriceSchema } from '../schemas/agent-step.js';
import { stdioConnectorSchema } from '../schemas/mcp-connector.js';
import { createPriceTable } from './usage/model-prices.js';
import { createAgentApi } from './jobs/agent-api.js';
import { createAuditApi } from './audit/audit-api.js';
import { createUsageApi } from './usage/usage-api.js';
import { createRuntimeDataApi } from './data/runtime-data-api.js';
import { resolveDataToken } from './data/data-tokens.js';
import { createDataApi } from './data/data-api.js';
import type { CoreDatabase } from './store/database-schema.js';
import { createDeploymentDriver } from './deployments/deployment-driver.js';
import { createDeploymentsApi } from './deployments/deployments-api.js';
import { createEngineContext } from './engine-context.js';
import { createEngineTelemetry, type TelemetryOptions } from './telemetry/engine-telemetry.js';
import { createNetworkGuard } from './connectors/network-guard.js';
import { createSecretBox } from './connectors/secret-box.js';
import { createConnectorsApi } from './connectors/connectors-api.js';
import { rotateStoredSecrets } from './connectors/rotate-secrets.js';
import { receiveStoragePush, storagePushSchema } from './versions/receive-storage-push.js';
import { guardPlugin } from './guard-plugin.js';
import { createInProcessQueue } from './jobs/in-process-queue.js';
import type { JobQueue } from './jobs/job-queue.js';
import { runJob } from './jobs/job-runner.js';
import { recoverJobsOfDeadProcesses, recoverStaleJobs } from './jobs/job-recovery.js';
import { refinalizeRecentVersions } from './versions/refinalize-versions.js';
import { migrateCoreTables } from './store/migrations.js';
import { createOrganizationsApi } from './tenancy/organizations-api.js';
import { createProjectsApi } from './tenancy/projects-api.js';
import type { ScopeContext } from './scope-context.js';
import { createUsersApi } from './tenancy/users-api.js';
import type { VectorEventBus } from './vector-events.js';
import type { DeploymentsApi, Vector, VectorScope } from './vector-types.js';
import { createVersionsApi } from './versions/versions-api.js';
import type { Kysely } from 'kysely';

const settingsSchema = z.object({
  roles: z.array(z.enum(['api', 'worker'])).min(1).default(['api', 'worker']),
  migrate: z.boolean().default(true),
  previewTtlSeconds: z.number().int().min(60).max(30 * 86_400).default(86_400),
  /** The most a job may spend; callers may ask for less, never more. `maxCostUsd` (US dollars) defaults to none. */
  jobBudget: z
    .object({
      maxSteps: z.number().int().min(1).max(1000).default(50),
      maxTokens: z.number().int().min(1).default(500_000),
      maxCostUsd: z.number().positive().max(1_000_000).nullable().default(null),
    })
    .prefault({}),
  /**
   * Prices per model in US dollars per million tokens (`input`, `cachedInput`, `output`), over the
   * defaults for common OpenAI models (`defaultModelPrices`). A model with no price has null costs.
   */
  modelPrices: z.record(z.string().min(1).max(200), modelPriceSchema).default({}),
  /**
   * Where deployed apps reach their data (the runtime data API's base URL, e.g.
   * `https://vector.example.com/data/v1`), or a function answering it (read at each deploy, for a
   * server that learns its address once it listens). When set, every deployment gets
   * `VECTOR_DATA_URL` and its own `VECTOR_DATA_TOKEN` (and `VITE_`-prefixed copies for browser builds).
   */
  dataApiUrl: z.union([z.string().url(), z.custom<() => string | undefined>((value) => typeof value === 'function', 'a URL, or a function answering one')]).optional(),
  deploymentPollIntervalMs: z.number().int().min(1).max(600_000).default(1000),
  deploymentMaxPollIntervalMs: z.number().int().min(1).max(3_600_000).default(30_000),
  deploymentMaxPollFailures: z.number().int().min(1).max(1000).default(10),
  reaperIntervalMs: z.number().int().min(10).max(3_600_000).default(60_000),
  /** How often a running job's worker records that it is alive. Default 3 s. */
  jobHeartbeatMs: z.number().int().min(10).max(600_000).default(3000),
  /** A running job whose worker has not recorded a heartbeat for this long is handed to another worker. Default 10 s. */
  jobStaleAfterMs: z.number().int().min(100).max(86_400_000).default(10_000),
  /** How often workers look for stale jobs; a dead worker's job is noticed within `jobStaleAfterMs` + this. Default 5 s. */
  jobSweepIntervalMs: z.number().int().min(10).max(3_600_000).default(5000),
  jobMaxAttempts: z.number().int().min(1).max(100).default(3),
  jobCancelGraceMs: z.number().int().min(0).max(600_000).default(5000),
  /** File entries of version listings kept in memory (versions never change, so they never go stale); 0 turns it off. Default 100,000 (about 15 MB). */
  fileListingCacheEntries: z.number().int().min(0).max(10_000_000).default(100_000),
  /**
   * Keys that encrypt stored secrets (MCP connectors' headers) with AES-256-GCM: 32 bytes each,
   * as 64 hex digits or base64. The first encrypts; the others only decrypt (previous keys, kept
   * until `rotateSecrets()` has re-encrypted what they wrote). Without a key, connectors cannot
   * store headers.
   */
  secretKeys: z.array(z.string().min(1)).default([]),
  /** MCP connectors: where they may reach, the operator's stdio servers, and per-call limits. */
  connectors: z
    .object({
      /**
       * Host names, addresses and CIDR ranges connectors may reach although they are private,
       * loopback or link-local (refused by default, so a user cannot aim a connector at the
       * server's own network), e.g. `['127.0.0.1', 'mcp.internal', '10.1.0.0/16']`.
       */
      allowPrivateHosts: z.array(z.string().min(1)).default([]),
      /** MCP servers the operator runs over stdio (trusted commands; never from the API). Offered to every organization unless `organizationIds` narrows them. */
      stdio: z.array(stdioConnectorSchema).default([]),
      /** How long one tool call may take. Default 30 s. */
      callTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      /** A tool result's text beyond this many bytes is cut (and says so). Default 64 KiB. */
      maxResultBytes: z.number().int().min(256).max(10_000_000).default(65_536),
    })
    .default({ allowPrivateHosts: [], stdio: [], callTimeoutMs: 30_000, maxResultBytes: 65_536 }),
});

/** Options of {@link createVector}. Plugins are plain objects from their `createX()` factories. */
export interface VectorOptions extends z.input<typeof settingsSchema> {
  /** The metadata store, from `createSqliteDatabase` or `createPostgresDatabase`. */
  database: VectorDatabaseConnection;
  /** Storage backends; the first is the default for new projects. At least one. */
  storage: StorageBackend[];
  /** Deployment providers; the first is the default. */
  providers?: DeploymentProvider[];
  /** Agents; the first is the default for new sessions. */
  agents?: Agent[];
  /**
   * Publishes versions as git commits when a deployment's provider only builds git (it does
   * not list `'files'` in `capabilities.sources`) and the project's storage has no git
   * source, e.g. `createGitHubSourceMirror` from `@vector/storage-github`. Each version is
   * published once; its commit is stored and reused. Without it such deployments fail with
   * the provider's `UnsupportedError`.
   */
  sourceMirror?: SourceMirror;
  /** Where queued jobs wait; defaults to an in-process queue. */
  queue?: JobQueue;
  /** Inject an event bus (e.g. one bridged across processes). */
  events?: VectorEventBus;
  /** The clock, for tests. */
  now?: () => Date;
  /**
   * OpenTelemetry tracing. Spans go to the globally registered tracer provider (register an
   * SDK before creating the engine; without one tracing costs nothing). `recordPrompts`
   * (default false) adds the user's message to model spans. See `docs/observability.md`.
   */
  telemetry?: TelemetryOptions;
}

function lookup<T>(kind: string, registry: ReadonlyMap<string, T>, name: string | undefined): T {
  const found = name === undefined ? undefined : registry.get(name);
  if (found === undefined) {
    throw new ValidationError({ message: `No ${kind} named ${name ?? '(default)'} is registered; registered: ${[...registry.keys()].join(', ') || 'none'}` });
  }
  return found;
}

function register<T>(kind: string, items: ReadonlyArray<T>, nameOf: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const name = nameOf(item);
    if (map.has(name)) throw new ValidationError({ message: `Two ${kind} are registered as ${name}; names must be unique` });
    map.set(name, item);
  }
  return map;
}

/**
 * Creates the Vector engine: the metadata store, the registered plugins, the job worker,
 * the deployment monitor and the preview reaper, behind one typed API.
 *
 * ```ts
 * const database = createSqliteDatabase({ path: 'vector.db' });
 * const vector = createVector({ database, storage: [createMemoryStorage()] });
 * await vector.start();
 * ```
 */
export function createVector(options: VectorOptions): Vector {
  const settings = parseInput(settingsSchema, options, 'Vector options');
  if (!options.database?.db) throw new ValidationError({ message: 'createVector needs a database connection (createSqliteDatabase or createPostgresDatabase)', issues: [{ path: ['database'], message: 'required' }] });
  if (!Array.isArray(options.storage) || options.storage.length === 0) {
    throw new ValidationError({ message: 'createVector needs at least one storage backend', issues: [{ path: ['storage'], message: 'required' }] });
  }
  const telemetry = createEngineTelemetry(options.telemetry);
  // Storage, provider and mirror calls made inside a traced request or job are spans of their own.
  const storage = register(
    'storage backends',
    options.storage.map((backend) => guardPlugin('Storage backend', backend?.name, backend, { telemetry, prefix: 'vector.storage', attributes: { 'vector.storage.backend': backend?.name }, skip: ['saveVersion'] })),
    (backend) => backend.name,
  );
  const providers = register(
    'deployment providers',
    (options.providers ?? []).map((provider) => guardPlugin('Deployment provider', provider?.name, provider, { telemetry, prefix: 'vector.provider', attributes: { 'vector.deployment.provider': provider?.name } })),
    (provider) => provider.name,
  );
  const agents = register('agents', (options.agents ?? []).map((agent) => guardPlugin('Agent', agent?.type, agent)), (agent) => agent.type);
  const sourceMirror = options.sourceMirror
    ? guardPlugin('Source mirror', options.sourceMirror.name, options.sourceMirror, { telemetry, prefix: 'vector.source_mirror', attributes: { 'vector.source_mirror.name': options.sourceMirror.name } })
    : null;
  // The plugins core initialises once and disposes once, in this order.
  const lifecycle = () => [...storage.values(), ...providers.values(), ...agents.values(), ...(sourceMirror ? [sourceMirror] : [])];

  const engine = createEngineContext({
    db: options.database.db as Kysely<CoreDatabase>,
    dialect: options.database.dialect,
    events: options.events ?? createEventBus(),
    storage,
    defaultStorage: options.storage[0]?.name as string,
    providers,
    defaultProvider: options.providers?.[0]?.name ?? null,
    agents,
    defaultAgent: options.agents?.[0]?.type ?? null,
    sourceMirror,
    queue: options.queue ?? createInProcessQueue(),
    settings,
    prices: createPriceTable(settings.modelPrices),
    telemetry,
    secretBox: createSecretBox(settings.secretKeys),
    networkGuard: createNetworkGuard(settings.connectors.allowPrivateHosts),
    now: options.now ?? (() => new Date()),
  });
  const driver = createDeploymentDriver(engine);

  let migrated: Promise<void> | null = null;
  const migrate = () => {
    migrated ??= (async () => {
      await migrateCoreTables({ db: engine.db, dialect: engine.dialect });
      for (const plugin of lifecycle()) await plugin.init?.();
    })().catch((error: unknown) => {
      migrated = null;
      throw error;
    });
    return migrated;
  };
  // Every public call waits for migrations (when enabled) so callers never see missing tables.
  const ready = <T extends object>(api: T): T =>
    new Proxy(api, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (settings.migrate) await migrate();
          try {
            return await (value as (...inner: unknown[]) => unknown).apply(target, args);
          } catch (error) {
            throw mapDatabaseError(error);
          }
        };
      },
    });

  const timers: NodeJS.Timeout[] = [];
  let started = false;

  const vector: Vector = {
    db: engine.db,
    dialect: engine.dialect,
    events: engine.events,
    organizations: ready(createOrganizationsApi(engine, driver)),
    users: ready(createUsersApi(engine)),
    plugins: { storage, providers, agents, sourceMirror },
    getStorageBackend(project) {
      return lookup('storage backend', storage, project?.storageBackend);
    },
    getDeploymentProvider(name) {
      return lookup('deployment provider', providers, name ?? engine.defaultProvider ?? undefined);
    },
    getAgent(type) {
      return lookup('agent', agents, type ?? engine.defaultAgent ?? undefined);
    },
    scope(input) {
      const organizationId = parseInput(idSchema, input?.organizationId, 'organization id');
      const actor = parseInput(actorSchema, input?.actor, 'actor');
      const context: ScopeContext = { engine, organizationId, actor };
      // Each API is built on first use: a request usually touches one of them.
      const lazy = <T extends object>(build: () => T) => {
        let api: T | null = null;
        return () => (api ??= ready(build()));
      };
      const getDeployments: () => DeploymentsApi = lazy(() => createDeploymentsApi(context, driver));
      const getProjects = lazy(() => createProjectsApi(context, driver));
      const getVersions = lazy(() => createVersionsApi(context, getDeployments));
      const getAgent = lazy(() => createAgentApi(context));
      const getData = lazy(() => createDataApi(context));
      const getAudit = lazy(() => createAuditApi(context));
      const getUsage = lazy(() => createUsageApi(context));
      const getConnectors = lazy(() => createConnectorsApi(context));
      const scope: VectorScope = {
        organizationId,
        actor,
        get projects() {
          return getProjects();
        },
        get versions() {
          return getVersions();
        },
        get agent() {
          return getAgent();
        },
        get deployments() {
          return getDeployments();
        },
        get data() {
          return getData();
        },
        get audit() {
          return getAudit();
        },
        get usage() {
          return getUsage();
        },
        get connectors() {
          return getConnectors();
        },
      };
      return scope;
    },
    async rotateSecrets() {
      if (settings.migrate) await migrate();
      return rotateStoredSecrets(engine);
    },
    async runtimeData(token) {
      if (settings.migrate) await migrate();
      return createRuntimeDataApi(engine, await resolveDataToken(engine, token));
    },
    async receiveStoragePush(input) {
      if (settings.migrate) await migrate();
      const push = parseInput(storagePushSchema, input, 'storage push');
      return receiveStoragePush(engine, push);
    },
    async locateJob(jobId) {
      if (settings.migrate) await migrate();
      const id = parseInput(idSchema, jobId, 'job id');
      const row = await engine.db.selectFrom('vector_agent_jobs').select(['organization_id', 'project_id']).where('id', '=', id).executeTakeFirst();
      return row ? { organizationId: row.organization_id, projectId: row.project_id } : null;
    },
    async locateDeployment(deploymentId) {
      if (settings.migrate) await migrate();
      const id = parseInput(idSchema, deploymentId, 'deployment id');
      const row = await engine.db.selectFrom('vector_deployments').select(['organization_id', 'project_id']).where('id', '=', id).executeTakeFirst();
      return row ? { organizationId: row.organization_id, projectId: row.project_id } : null;
    },
    async collectStorageGarbage(options) {
      if (settings.migrate) await migrate();
      const { graceMs } = parseInput(z.object({ graceMs: z.number().int().min(0).default(3_600_000) }), options ?? {}, 'garbage collection options');
      const startedBefore = new Date(engine.now().getTime() - graceMs);
      const results: Array<{ backend: string; removedObjects: number; freedBytes: number }> = [];
      for (const [name, backend] of storage) {
        if (!backend.capabilities.garbageCollection || !backend.collectGarbage) continue;
        const rows = await engine.db
          .selectFrom('vector_code_versions as v')
          .innerJoin('vector_projects as p', 'p.id', 'v.project_id')
          .select('v.storage_ref')
          .where('p.storage_backend', '=', name)
          .execute();
        const outcome = await backend.collectGarbage({ liveRefs: new Set(rows.map((row) => row.storage_ref)), startedBefore });
        results.push({ backend: name, ...outcome });
      }
      return results;
    },
    migrate,
    async start() {
      if (started) return;
      await migrate();
      started = true;
      if (settings.roles.includes('worker')) {
        await engine.queue.start((jobId) => runJob(engine, jobId));
        // On SQLite every worker is a process of this machine: a job whose process is gone goes back at once.
        if (engine.dialect === 'sqlite') await recoverJobsOfDeadProcesses(engine, settings.jobMaxAttempts);
        await recoverStaleJobs(engine, settings.jobMaxAttempts);
        await refinalizeRecentVersions(engine);
        // Jobs queued while no worker ran (or whose enqueue was lost in a crash).
        const queued = await engine.db.selectFrom('vector_agent_jobs').select('id').where('status', '=', 'queued').orderBy('created_at').execute();
        for (const row of queued) await engine.queue.enqueue(row.id);
        // Live deployments from before this start: confirm each with its provider, in the background.
        void driver.reconcile().catch(() => undefined);
        const recovery = setInterval(() => void recoverStaleJobs(engine, settings.jobMaxAttempts).catch(() => undefined), settings.jobSweepIntervalMs);
        const monitor = setInterval(() => void driver.tick().catch(() => undefined), settings.deploymentPollIntervalMs);
        const reaper = setInterval(() => void driver.reap().catch(() => undefined), settings.reaperIntervalMs);
        for (const timer of [recovery, monitor, reaper]) {
          timer.unref?.();
          timers.push(timer);
        }
      }
    },
    async reapExpiredPreviews() {
      if (settings.migrate) await migrate();
      return driver.reap();
    },
    async recoverStaleJobs() {
      if (settings.migrate) await migrate();
      return recoverStaleJobs(engine, settings.jobMaxAttempts);
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      // Stop taking jobs first, so none starts after the interruption below.
      const stopping = engine.queue.stop();
      // Interrupt running jobs; their runners hand them back to the queue.
      for (const local of engine.runningJobs.values()) {
        // A pending cancel wins: that job ends cancelled rather than going back to the queue.
        local.reason ??= 'shutdown';
        local.controller.abort(new Error('shutdown'));
      }
      await stopping;
      started = false;
    },
    async dispose() {
      await vector.stop();
      for (const plugin of lifecycle()) await plugin.dispose?.();
    },
  };
  return vector;
}
