import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type Agent,
  type BuildChecker,
  createInProcessQueue,
  createPostgresDatabase,
  createScriptedAgent,
  createSqliteDatabase,
  createStaticProvider,
  createVector,
  type DeploymentProvider,
  type JobQueue,
  type SourceMirror,
  type StorageBackend,
  type Vector,
  type VectorDatabaseConnection,
  ValidationError,
} from '@vector/core';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { LocalProvider } from '@vector/provider-local';
import { defaultConnectionPools, defaultQueueSettings, type ServerConfig } from '../load-config.js';
import type { PreviewSource } from '../previews/create-preview-gateway.js';
import type { EventFeed } from '../sse/event-feed.js';
import { checkConnectionBudget, type ConnectionBudget, connectionBudgetFor } from './check-connection-budget.js';
import { createPgBossQueue } from './create-pg-boss-queue.js';
import { createPostgresEventBridge, type PostgresEventBridge } from './create-postgres-event-bridge.js';

/** The engine and what it runs on, assembled from a {@link ServerConfig}. */
export interface Runtime {
  vector: Vector;
  database: VectorDatabaseConnection;
  /** The cross-process event feed (PostgreSQL only): pass it to `buildServer({ eventFeed })`. */
  eventFeed: EventFeed | undefined;
  /** The local provider when `localBuilds` is on: pass it to `createPreviewGateway({ source })`. */
  localProvider: LocalProvider | undefined;
  /**
   * Every provider whose previews the gateway serves (Docker, local), each answering for its
   * own ids: combine them with `combinePreviewSources`.
   */
  previewSources: PreviewSource[];
  /**
   * The PostgreSQL connections this process may hold, by pool, and the `application_name`
   * each pool's connections carry (find them in `pg_stat_activity`). Undefined on SQLite.
   */
  connections: ConnectionBudget | undefined;
  /**
   * Prometheus metrics when `config.metrics` is set: the meter provider the engine records on
   * (pass it to `buildServer({ telemetry: { meterProvider } })` too) and its exporter (for
   * `buildServer({ metrics })`, or a listener of its own).
   */
  metrics: RuntimeMetrics | undefined;
  /** Stops the engine, the queue and the bridge, disposes plugins and closes the database. */
  close(): Promise<void>;
}

/** The metrics pipeline of a {@link Runtime}: a meter provider read by a Prometheus exporter. */
export interface RuntimeMetrics {
  meterProvider: MeterProvider;
  exporter: PrometheusExporter;
}

/** Where the runtime reports what it does (the CLI writes JSON lines). */
export interface RuntimeLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Options of {@link createRuntime} that only exist once the process is running. */
export interface CreateRuntimeOptions {
  /**
   * The preview URL template for the local provider. Default `config.previewBaseUrl`; the CLI
   * passes the one it resolved once its gateway listens (with port 0 only then is it known).
   */
  previewBaseUrl?: string;
  /**
   * Where deployed apps reach the runtime data API (`VECTOR_DATA_URL`), read at each deploy.
   * Default `config.dataApiUrl`; the CLI answers its own address once it listens.
   */
  dataApiUrl?: () => string | undefined;
  /**
   * Agents registered before the configured ones (the first is then the default agent), e.g. a
   * scripted agent for a benchmark. Sessions choose one by `agentType`.
   */
  agents?: Agent[];
  /**
   * Names this process's PostgreSQL connections: each pool's `application_name` is
   * `vector-<engine|queue|events> <instance>`. Default `<role> <host>:<pid>:<4 random hex digits>`.
   */
  instance?: string;
}

/**
 * Builds the engine from configuration: SQLite + in-process queue by default; with
 * `DATABASE_URL`, PostgreSQL + pg-boss + a LISTEN/NOTIFY event bridge (schema `vector_pgboss` and
 * channel `vector_events`, or `<DATABASE_SCHEMA>_pgboss` / `<DATABASE_SCHEMA>_events`). Adapters are imported
 * only when configured, so an embedded start loads no SaaS client. With `localBuilds`, deployments
 * are built and run on this machine (`@vector/provider-local`) and the codegen agent checks its
 * output with the same build. With `sourceMirror`, versions of internal storage deployed to
 * Railway or Render are published as GitHub commits first (`@vector/storage-github`). With a
 * model configured, it logs the model and base URL the codegen agent uses (never the key).
 *
 * On PostgreSQL each pool is sized from `config.connectionPools` and its connections named
 * (`application_name`); at start the server's `max_connections` and the connections in use are
 * read, and a budget that cannot fit is warned about. Jobs run `config.queue.concurrency` at a
 * time on either queue.
 *
 * @throws ValidationError when `localBuilds` is on and the role is not `all`.
 */
export async function createRuntime(config: ServerConfig, log: RuntimeLog, options: CreateRuntimeOptions = {}): Promise<Runtime> {
  const warn = log.warn;
  if (config.localBuilds && config.role !== 'all') {
    // loadConfig reports this already; an embedder's hand-made config gets the same answer.
    throw new ValidationError({
      message: `Local builds need VECTOR_ROLE=all (this process is "${config.role}"): set VECTOR_LOCAL_BUILDS=false to run separate api and worker processes`,
      issues: [{ path: ['VECTOR_ROLE'], message: 'local builds need VECTOR_ROLE=all' }],
    });
  }
  const pools = config.connectionPools ?? defaultConnectionPools;
  const queueSettings = config.queue ?? defaultQueueSettings;
  const instance = options.instance ?? `${config.role} ${hostname().slice(0, 24)}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const connections = config.databaseUrl ? connectionBudgetFor({ pools, runsJobs: config.role !== 'api', instance }) : undefined;
  let database: VectorDatabaseConnection;
  if (config.databaseUrl && connections) {
    const limits = await checkConnectionBudget({ connectionString: config.databaseUrl, budget: connections, warn });
    log.info(
      `PostgreSQL connections: up to ${connections.total} for this process (application_name "vector-* ${instance}"); ` +
        `the server accepts ${limits.maxConnections - limits.reserved}, ${limits.inUse} open before this start`,
    );
    database = await createPostgresDatabase({
      connectionString: config.databaseUrl,
      maxConnections: connections.engine.pooled,
      applicationName: connections.engine.applicationName,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    });
  } else {
    if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
    database = createSqliteDatabase({ path: config.sqlitePath });
  }

  const storage: StorageBackend[] = [];
  if (config.storage === 'github' && config.github) {
    const { createGitHubStorage } = await import('@vector/storage-github');
    storage.push(createGitHubStorage({ auth: { token: config.github.token }, owner: config.github.owner }));
  } else {
    const { createInternalStorage } = await import('@vector/storage-internal');
    storage.push(createInternalStorage({ database }));
  }

  const providers: DeploymentProvider[] = [];
  if (config.railwayApiToken) providers.push((await import('@vector/provider-railway')).createRailwayProvider({ token: config.railwayApiToken }));
  if (config.renderApiKey) providers.push((await import('@vector/provider-render')).createRenderProvider({ apiKey: config.renderApiKey }));
  const sourceMirror = await sourceMirrorFor(config, providers, warn);
  // Hosted providers come first when configured (the first is the default); local builds are
  // the default otherwise, and the in-memory `static` provider stays available by name.
  let localProvider: LocalProvider | undefined;
  let buildChecker: BuildChecker | undefined;
  const previewSources: PreviewSource[] = [];
  if (config.docker) {
    // Isolated builds and runs: the default provider when turned on (after hosted ones).
    const { createDockerProvider } = await import('@vector/provider-docker');
    const publicUrl = options.previewBaseUrl ?? config.previewBaseUrl;
    const dockerProvider = createDockerProvider({
      stateDir: join(config.buildsDir, 'docker'),
      ...(config.docker.socketPath ? { socketPath: config.docker.socketPath } : {}),
      ...(config.docker.baseImage ? { baseImage: config.docker.baseImage } : {}),
      ...(publicUrl ? { publicUrl } : {}),
    });
    providers.push(dockerProvider);
    previewSources.push(dockerProvider);
  }
  if (config.localBuilds) {
    const { createLocalProvider, createLocalBuildChecker } = await import('@vector/provider-local');
    const cacheDir = join(config.buildsDir, 'cache');
    const publicUrl = options.previewBaseUrl ?? config.previewBaseUrl;
    localProvider = createLocalProvider({ stateDir: join(config.buildsDir, 'deployments'), cacheDir, ...(publicUrl ? { publicUrl } : {}) });
    buildChecker = createLocalBuildChecker({ cacheDir });
    providers.push(localProvider);
    previewSources.push(localProvider);
  }
  providers.push(createStaticProvider());

  const agents: Agent[] = [...(options.agents ?? [])];
  if (config.model) {
    const { createCodegenAgent, defaultCodegenModel, defaultModelBaseUrl } = await import('@vector/agent-codegen');
    // Everything explicit: the agent's own environment fallbacks would read process.env, not this config.
    const model = config.model.model ?? defaultCodegenModel;
    const baseUrl = config.model.baseURL ?? defaultModelBaseUrl;
    agents.push(
      createCodegenAgent({
        ...(config.model.apiKey ? { apiKey: config.model.apiKey } : {}),
        baseUrl,
        allowedBaseUrls: [baseUrl],
        model,
        ...(buildChecker ? { buildChecker } : {}),
      }),
    );
    // Which endpoint gets the prompts (never the key: the URL is shown without credentials or query).
    log.info(`Codegen agent: model ${model}${config.model.model ? '' : ' (default)'} at ${displayUrl(baseUrl)}${config.model.baseURL ? '' : ' (default)'}`);
    if (new URL(baseUrl).pathname.replace(/\/+$/, '') === '') {
      warn(`The model base URL ${displayUrl(baseUrl)} (OPENAI_BASE_URL) has no path: OpenAI-compatible servers answer under their version path, e.g. ${displayUrl(baseUrl).replace(/\/*$/, '')}/v1`);
    }
  } else {
    warn('No model configured (OPENAI_API_KEY, with OPENAI_BASE_URL and VECTOR_MODEL for another endpoint or model): using the scripted DEMO agent, which only writes notes/<n>.md');
  }
  agents.push(createScriptedAgent());

  let queue: (JobQueue & { close(): Promise<void> }) | null = null;
  let bridge: PostgresEventBridge | null = null;
  if (config.databaseUrl && connections) {
    // Deployments that share a PostgreSQL server through separate schemas must not share a queue
    // (a worker would take another deployment's job ids) nor an event channel.
    const prefix = config.databaseSchema ? config.databaseSchema.slice(0, 48) : 'vector';
    queue = createPgBossQueue({
      connectionString: config.databaseUrl,
      schema: `${prefix}_pgboss`,
      concurrency: queueSettings.concurrency,
      batchSize: queueSettings.batchSize,
      pollingIntervalSeconds: queueSettings.pollIntervalMs / 1000,
      maxConnections: connections.queue.pooled,
      listen: connections.queue.listeners > 0,
      applicationName: connections.queue.applicationName,
      log: { warn },
      onJob: (jobId) => log.info(`worker took job ${jobId}`),
    });
    bridge = createPostgresEventBridge({
      connectionString: config.databaseUrl,
      channel: `${prefix}_events`,
      maxConnections: connections.events.pooled,
      applicationName: connections.events.applicationName,
      log: { warn },
    });
    try {
      await bridge.start();
    } catch (error) {
      await bridge.close().catch(() => undefined);
      await database.destroy().catch(() => undefined);
      throw error;
    }
  }
  let metrics: RuntimeMetrics | undefined;
  if (config.metrics) {
    const [{ MeterProvider }, { PrometheusExporter }] = await Promise.all([import('@opentelemetry/sdk-metrics'), import('@opentelemetry/exporter-prometheus')]);
    // Served by the API's /metrics route or the CLI's own listener, never by the exporter's server.
    const exporter = new PrometheusExporter({ preventServerStart: true });
    metrics = { meterProvider: new MeterProvider({ readers: [exporter] }), exporter };
  }
  const roles: Array<'api' | 'worker'> = config.role === 'all' ? ['api', 'worker'] : [config.role];
  const vector = createVector({
    database,
    storage,
    providers,
    agents,
    roles,
    modelPrices: config.modelPrices,
    secretKeys: config.encryptionKeys,
    connectors: config.connectors,
    ...(options.dataApiUrl ? { dataApiUrl: options.dataApiUrl } : config.dataApiUrl ? { dataApiUrl: config.dataApiUrl } : {}),
    ...(config.jobMaxCostUsd === undefined ? {} : { jobBudget: { maxCostUsd: config.jobMaxCostUsd } }),
    ...(sourceMirror ? { sourceMirror } : {}),
    queue: queue ?? createInProcessQueue({ concurrency: queueSettings.concurrency }),
    ...(bridge ? { events: bridge.events } : {}),
    ...(metrics ? { telemetry: { meterProvider: metrics.meterProvider } } : {}),
  });
  bridge?.attach(vector);
  vector.events.on('warning', (warning) => warn(`${warning.code}: ${warning.message}`));

  return {
    vector,
    database,
    eventFeed: bridge ?? undefined,
    localProvider,
    previewSources,
    connections,
    metrics,
    async close() {
      // Every step runs even when an earlier one fails (a queue that never connected must not
      // keep the bridge and the database open); the first failure is reported afterwards.
      const failures: unknown[] = [];
      const step = async (run: () => Promise<void> | undefined) => {
        try {
          await run();
        } catch (error) {
          failures.push(error);
        }
      };
      await step(() => vector.dispose());
      await step(() => queue?.close());
      await step(() => bridge?.close());
      await step(() => database.destroy());
      await step(() => metrics?.meterProvider.shutdown());
      if (failures.length > 0) throw failures[0];
    },
  };
}

/**
 * The GitHub source mirror when configured (imported only then), and a warning when the
 * configuration cannot work as meant: Railway or Render with internal storage and no mirror
 * (their deployments would fail `UNSUPPORTED`), or a mirror nothing will ever call.
 */
async function sourceMirrorFor(config: ServerConfig, providers: readonly DeploymentProvider[], warn: (message: string) => void): Promise<SourceMirror | undefined> {
  // Providers that cannot take files build the storage's git commit, or the mirror's.
  const gitOnly = providers.filter((provider) => !provider.capabilities.sources.includes('files')).map((provider) => provider.name);
  const mirrorable = config.storage === 'internal' && gitOnly.length > 0;
  if (!config.sourceMirror) {
    if (mirrorable) {
      warn(
        `Deployment providers ${gitOnly.join(', ')} build git commits only: deployments of internal storage to them fail (UNSUPPORTED) ` +
          'unless VECTOR_SOURCE_MIRROR=github publishes each deployed version to a private GitHub repository (with GITHUB_TOKEN and GITHUB_MIRROR_OWNER or GITHUB_OWNER)',
      );
    }
    return undefined;
  }
  if (!mirrorable) {
    warn(
      `The GitHub source mirror (VECTOR_SOURCE_MIRROR=github) is never used: ${config.storage === 'github' ? 'VECTOR_STORAGE=github versions are git commits already' : 'it serves Railway and Render only, and neither is configured (RAILWAY_API_TOKEN or RENDER_API_KEY)'}`,
    );
  }
  const { createGitHubSourceMirror } = await import('@vector/storage-github');
  return createGitHubSourceMirror({ auth: { token: config.sourceMirror.token }, owner: config.sourceMirror.owner, scope: config.sourceMirror.scope });
}

/** A URL as safe to log: scheme, host and path, without credentials, query or fragment. */
function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
