import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Agent,
  createPostgresDatabase,
  createScriptedAgent,
  createSqliteDatabase,
  createStaticProvider,
  createVector,
  type DeploymentProvider,
  type JobQueue,
  type StorageBackend,
  type Vector,
  type VectorDatabaseConnection,
} from '@vector/core';
import type { ServerConfig } from '../load-config.js';
import { createPgBossQueue } from './create-pg-boss-queue.js';
import type { EventFeed } from '../sse/event-feed.js';
import { createPostgresEventBridge, type PostgresEventBridge } from './create-postgres-event-bridge.js';

/** The engine and what it runs on, assembled from a {@link ServerConfig}. */
export interface Runtime {
  vector: Vector;
  database: VectorDatabaseConnection;
  /** The cross-process event feed (PostgreSQL only): pass it to `buildServer({ eventFeed })`. */
  eventFeed: EventFeed | undefined;
  /** Stops the engine, the queue and the bridge, disposes plugins and closes the database. */
  close(): Promise<void>;
}

/** Where the runtime reports what it does (the CLI writes JSON lines). */
export interface RuntimeLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Builds the engine from configuration: SQLite + in-process queue by default; with
 * `DATABASE_URL`, PostgreSQL + pg-boss + a LISTEN/NOTIFY event bridge (schema `vector_pgboss` and
 * channel `vector_events`, or `<DATABASE_SCHEMA>_pgboss` / `<DATABASE_SCHEMA>_events`). Adapters are imported
 * only when configured, so an embedded start loads no SaaS client.
 */
export async function createRuntime(config: ServerConfig, log: RuntimeLog): Promise<Runtime> {
  const warn = log.warn;
  let database: VectorDatabaseConnection;
  if (config.databaseUrl) {
    database = await createPostgresDatabase({ connectionString: config.databaseUrl, ...(config.databaseSchema ? { schema: config.databaseSchema } : {}) });
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
  // Local previews always exist; they are the default only when no hosted provider is configured.
  providers.push(createStaticProvider());

  const agents: Agent[] = [];
  if (config.model) {
    const { createCodegenAgent } = await import('@vector/agent-codegen');
    agents.push(
      createCodegenAgent({
        ...(config.model.apiKey ? { apiKey: config.model.apiKey } : {}),
        ...(config.model.baseURL ? { baseURL: config.model.baseURL, allowedBaseURLs: [config.model.baseURL] } : {}),
        ...(config.model.model ? { model: config.model.model } : {}),
      }),
    );
  } else {
    warn('No model configured (OPENAI_API_KEY or VECTOR_MODEL_BASE_URL): using the scripted DEMO agent, which only writes notes/<n>.md');
  }
  agents.push(createScriptedAgent());

  let queue: (JobQueue & { close(): Promise<void> }) | null = null;
  let bridge: PostgresEventBridge | null = null;
  if (config.databaseUrl) {
    // Deployments that share a PostgreSQL server through separate schemas must not share a queue
    // (a worker would take another deployment's job ids) nor an event channel.
    const prefix = config.databaseSchema ? config.databaseSchema.slice(0, 48) : 'vector';
    queue = createPgBossQueue({ connectionString: config.databaseUrl, schema: `${prefix}_pgboss`, onJob: (jobId) => log.info(`worker took job ${jobId}`) });
    bridge = createPostgresEventBridge({ connectionString: config.databaseUrl, channel: `${prefix}_events`, log: { warn } });
    await bridge.start();
  }
  const roles: Array<'api' | 'worker'> = config.role === 'all' ? ['api', 'worker'] : [config.role];
  const vector = createVector({ database, storage, providers, agents, roles, ...(queue ? { queue } : {}), ...(bridge ? { events: bridge.events } : {}) });
  bridge?.attach(vector);
  vector.events.on('warning', (warning) => warn(`${warning.code}: ${warning.message}`));

  return {
    vector,
    database,
    eventFeed: bridge ?? undefined,
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
      if (failures.length > 0) throw failures[0];
    },
  };
}
