import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Kysely, Transaction } from 'kysely';
import type { SqlDialectName } from '../db/create-database.js';
import type { Agent } from '../plugins/agent.js';
import type { DeploymentProvider } from '../plugins/deployment-provider.js';
import type { SourceMirror } from '../plugins/source-mirror.js';
import type { StorageBackend } from '../plugins/storage-backend.js';
import type { JobBudget } from '../schemas/agent-job.js';
import type { CoreDatabase } from './store/database-schema.js';
import type { JobQueue } from './jobs/job-queue.js';
import type { PriceTable } from './usage/model-prices.js';
import type { ConnectorHealth, StdioConnectorConfig } from '../schemas/mcp-connector.js';
import type { NetworkGuard } from './connectors/network-guard.js';
import type { SecretBox } from './connectors/secret-box.js';
import type { VectorEventBus } from './vector-events.js';
import { errorMessage } from '../helpers/error-message.js';
import { createFileListingCache, type FileListingCache } from './versions/file-listing-cache.js';
import type { EngineTelemetry } from './telemetry/engine-telemetry.js';

/** Settings the engine runs with, after defaults. */
export interface EngineSettings {
  previewTtlSeconds: number;
  jobBudget: JobBudget;
  deploymentPollIntervalMs: number;
  deploymentMaxPollIntervalMs: number;
  deploymentMaxPollFailures: number;
  reaperIntervalMs: number;
  jobHeartbeatMs: number;
  jobStaleAfterMs: number;
  jobSweepIntervalMs: number;
  /** How long a cancelled agent may take to stop before the engine stops waiting for it. */
  jobCancelGraceMs: number;
  /** File entries of version listings kept in memory; 0: none. */
  fileListingCacheEntries: number;
  roles: ReadonlyArray<'api' | 'worker'>;
  /** The runtime data API's base URL given to deployments; undefined: deployments get no data variables. */
  dataApiUrl?: string | (() => string | undefined) | undefined;
  connectors: { allowPrivateHosts: string[]; stdio: StdioConnectorConfig[]; callTimeoutMs: number; maxResultBytes: number };
}

/** Runs `work` in a transaction and, only after it commits, the callbacks it registered. */
export type RunInTransaction = <T>(work: (trx: Transaction<CoreDatabase>, afterCommit: (callback: () => void) => void) => Promise<T>) => Promise<T>;

/** What every engine module shares. One per `createVector` call: no module-level state. */
export interface EngineContext {
  db: Kysely<CoreDatabase>;
  dialect: SqlDialectName;
  events: VectorEventBus;
  storage: ReadonlyMap<string, StorageBackend>;
  defaultStorage: string;
  providers: ReadonlyMap<string, DeploymentProvider>;
  defaultProvider: string | null;
  agents: ReadonlyMap<string, Agent>;
  defaultAgent: string | null;
  /** Publishes versions as git commits for providers that only build git; null when none is configured. */
  sourceMirror: SourceMirror | null;
  queue: JobQueue;
  settings: EngineSettings;
  /** Seals and opens stored secrets (connector headers). */
  secretBox: SecretBox;
  /** Which addresses connectors may reach. */
  networkGuard: NetworkGuard;
  /** The last health check of each server-configured connector, by `<organization id>/<name>` (they have no row). */
  connectorHealth: Map<string, ConnectorHealth>;
  /** When this engine was created. */
  startedAt: string;
  /** Model prices: what each model call costs. */
  prices: PriceTable;
  /** The engine's OpenTelemetry tracer (a no-op unless the embedder registered an SDK). */
  telemetry: EngineTelemetry;
  /** Identifies this process's worker in job rows. */
  workerId: string;
  now(): Date;
  nowIso(): string;
  newId(): string;
  transaction: RunInTransaction;
  /** Listings of versions already read (immutable, so never stale). */
  fileListings: FileListingCache;
  /** Abort controllers of jobs running in this process, by job id. */
  runningJobs: Map<string, { controller: AbortController; reason: 'cancel' | 'shutdown' | 'budget' | 'lost' | 'conflict' | null }>;
}

/** Builds the shared context. */
export function createEngineContext(input: Omit<EngineContext, 'nowIso' | 'newId' | 'transaction' | 'runningJobs' | 'workerId' | 'fileListings' | 'connectorHealth' | 'startedAt'>): EngineContext {
  const transaction: RunInTransaction = async (work) => {
    const callbacks: Array<() => void> = [];
    const result = await input.db.transaction().execute((trx) => work(trx, (callback) => callbacks.push(callback)));
    // The work is committed: a failing subscriber must neither fail the call nor starve the rest.
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        try {
          input.events.emit('warning', { code: 'EVENT_LISTENER_FAILED', message: errorMessage(error) });
        } catch {
          // a warning listener that throws as well is ignored
        }
      }
    }
    return result;
  };
  return {
    ...input,
    workerId: `${process.pid}-${randomUUID().slice(0, 8)}`,
    nowIso: () => input.now().toISOString(),
    // Time-ordered (UUIDv7, monotonic within the process): rows created in the same
    // millisecond still list in the order they were made (`ORDER BY created_at, id`).
    newId: () => uuidv7(),
    transaction,
    fileListings: createFileListingCache(input.settings.fileListingCacheEntries),
    runningJobs: new Map(),
    connectorHealth: new Map(),
    startedAt: input.now().toISOString(),
  };
}
