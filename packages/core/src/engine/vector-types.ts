import type { Kysely } from 'kysely';
import type { RuntimeDataApi } from './data/runtime-data-api.js';
import type { SqlDialectName } from '../db/create-database.js';
import type { Agent } from '../plugins/agent.js';
import type { DeploymentProvider } from '../plugins/deployment-provider.js';
import type { SourceMirror } from '../plugins/source-mirror.js';
import type { StorageBackend } from '../plugins/storage-backend.js';
import type { AgentJobEvent } from '../schemas/agent-event.js';
import type { AgentJob } from '../schemas/agent-job.js';
import type { AgentStep, UsageSummary } from '../schemas/agent-step.js';
import type { AgentSession, ChatMessage } from '../schemas/agent-session.js';
import type { AuditLog } from '../schemas/audit-log.js';
import type { CodeVersion, ValidationStatus } from '../schemas/code-version.js';
import type { Actor, Page, PageInput } from '../schemas/common.js';
import type { DataMigration, DataRow, DataRowVersion, DataTable } from '../schemas/data-table.js';
import type { Deployment, DeploymentLog } from '../schemas/deployment.js';
import type {
  AddMemberInput,
  AuditFilterInput,
  CreateDataTableInput,
  CreateDeploymentInput,
  CreateOrganizationInput,
  CreateProjectInput,
  CreateSessionInput,
  CreateUserInput,
  CreateVersionInput,
  DataRowQuery,
  DeploymentFilterInput,
  DeploymentLogsOptionsInput,
  JobEventsOptionsInput,
  JobFilterInput,
  JobStepsOptionsInput,
  UsageQueryInput,
  MembershipInput,
  MembershipRefInput,
  PostMessageInput,
  PublishVersionInput,
  RecordAuditInput,
  RollbackVersionInput,
  UpdateOrganizationInput,
  UpdateProjectInput,
  ImportProjectInput,
} from '../schemas/inputs.js';
import type { Member, Membership, Organization, User } from '../schemas/organization.js';
import type { CreateConnectorInput, McpConnector, UpdateConnectorInput } from '../schemas/mcp-connector.js';
import type { Project } from '../schemas/project.js';
import type { FileDiff, FileEntry, SourceFile } from '../schemas/source-file.js';
import type { JobQueue } from './jobs/job-queue.js';
import type { VectorEventBus } from './vector-events.js';

/** Who is acting, and in which organization. Every scoped call is confined to it. */
export interface VectorScopeInput {
  organizationId: string;
  actor: Actor;
}

/** Organizations, users and memberships: the tenant level, above any one organization. */
export interface OrganizationsApi {
  create(input: CreateOrganizationInput, actor: Actor): Promise<Organization>;
  get(organizationId: string): Promise<Organization>;
  getBySlug(slug: string): Promise<Organization>;
  list(page?: PageInput): Promise<Page<Organization>>;
  update(organizationId: string, patch: UpdateOrganizationInput, actor: Actor): Promise<Organization>;
  /** Deletes the organization and everything in it. */
  delete(organizationId: string, actor: Actor): Promise<void>;
}

/** Users and their memberships. */
export interface UsersApi {
  create(input: CreateUserInput): Promise<User>;
  get(userId: string): Promise<User>;
  getByEmail(email: string): Promise<User | null>;
  /**
   * Adds a user to an organization, with the name the organization knows them by (optional;
   * listed by {@link UsersApi.listMembers}, never shown to another organization).
   */
  addMember(input: AddMemberInput, actor: Actor): Promise<Membership>;
  updateMemberRole(input: MembershipInput, actor: Actor): Promise<Membership>;
  removeMember(input: MembershipRefInput, actor: Actor): Promise<void>;
  /**
   * The organization's members, each with what this organization recorded of them (the email,
   * the name given when it added them). Users are shared across organizations: the user's
   * stored profile (a name another organization gave them, when the account was made) is never
   * part of it.
   */
  listMembers(organizationId: string): Promise<Member[]>;
  listMemberships(userId: string): Promise<Membership[]>;
  getMembership(input: MembershipRefInput): Promise<Membership | null>;
}

/** Projects of the scope's organization. */
export interface ProjectsApi {
  create(input: CreateProjectInput): Promise<Project>;
  list(page?: PageInput): Promise<Page<Project>>;
  get(projectId: string): Promise<Project>;
  update(projectId: string, patch: UpdateProjectInput): Promise<Project>;
  /** Deletes the project, its versions' rows, sessions, jobs, data, and its stored files. */
  delete(projectId: string): Promise<void>;
  /**
   * Brings the project in step with its storage's branch, for setups without webhooks (a sync
   * call or a poll): a push made outside Vector on top of its head becomes a new version
   * (`source: 'import'`, with the commit's message and author); a push that leaves Vector's head
   * out sets `storageConflict`. `unsupported` for storage nobody else can change.
   */
  syncStorage(projectId: string): Promise<{ status: 'unsupported' | 'in_step' | 'imported' | 'diverged'; version: CodeVersion | null; project: Project }>;
  /**
   * Settles `storageConflict` (audited): `external` adopts the outside head as a new version;
   * `vector` keeps Vector's files, written on top of the outside head (never a force-push).
   *
   * @throws ConflictError when the branch moved again since (the conflict is updated; retry).
   */
  resolveStorageConflict(input: { projectId: string; keep: 'external' | 'vector' }): Promise<CodeVersion>;
  /**
   * Adopts an existing repository as a new project: creates the project, then its first
   * version (`source: 'import'`) from the repository's commit. Needs a storage backend with
   * `capabilities.importRepository`. A failed import leaves no project behind.
   */
  importRepository(input: ImportProjectInput): Promise<{ project: Project; version: CodeVersion }>;
}

/** Code versions. Every write names the version it started from. */
export interface VersionsApi {
  /**
   * Creates version N+1. `parentVersionId` must be the project's current version (null for
   * the first version), else `ConflictError`. Give either `files` (the complete new file
   * set: absent paths are deleted) or `changes` (writes and deletes on top of the parent).
   *
   * The rules apply to the file set the version would hold, not change by change, and are
   * checked before anything is saved; each breach is a `ValidationError`
   * (`VALIDATION_FAILED`, HTTP 400) naming the field:
   * - a write that changes nothing is refused (issue path `['changes']`, or `['files']` for a
   *   snapshot: "nothing to save"): an empty `changes`, writes of the parent's own content, a
   *   `files` snapshot equal to the parent, or a first version with no files. Only a
   *   `rollback` records a version equal to its parent.
   * - a delete must name a file of the parent (`['changes', index, 'path']`: "… does not
   *   exist in the parent version"); a directory is deleted by deleting its files.
   * - the result must not hold a path both as a file and as a directory (`a` beside
   *   `a/b.txt`), the message naming both. Deleting `a/b.txt` and writing `a` in one version
   *   (or a snapshot holding `a` where the parent held `a/b.txt`) is fine, in any order.
   */
  create(input: CreateVersionInput): Promise<CodeVersion>;
  list(projectId: string, page?: PageInput): Promise<Page<CodeVersion>>;
  get(versionId: string): Promise<CodeVersion>;
  listFiles(versionId: string): Promise<FileEntry[]>;
  getFiles(versionId: string, paths?: string[]): Promise<SourceFile[]>;
  /** @throws NotFoundError when the path does not exist in the version. */
  getFile(versionId: string, path: string): Promise<SourceFile>;
  /** How `toVersionId` differs from `fromVersionId` (null: from empty). Same project only. */
  diff(input: { fromVersionId: string | null; toVersionId: string }): Promise<FileDiff[]>;
  /**
   * A new version whose files equal `targetVersionId`'s, on top of the current version.
   * History is never rewritten. With `expectedCurrentVersionId`, a moved head is a conflict.
   */
  rollback(input: RollbackVersionInput): Promise<CodeVersion>;
  /**
   * Marks a version as the project's published one. With `deploy`, also deploys it to
   * production (the previous production deployment stays up until the new one is live).
   */
  publish(input: PublishVersionInput): Promise<{ project: Project; deployment: Deployment | null }>;
}

/** Agent sessions, their messages and jobs. */
export interface AgentApi {
  createSession(input: CreateSessionInput): Promise<AgentSession>;
  listSessions(projectId: string, page?: PageInput): Promise<Page<AgentSession>>;
  getSession(sessionId: string): Promise<AgentSession>;
  /**
   * Adds a user message and queues a job for the session's agent. A project's jobs run one at
   * a time in the order they were posted, each from the version its predecessor left (the base
   * is read when the job starts). A version written by anyone else while a job works (a manual
   * edit, a rollback, a push) ends that job at once as a `CONFLICT` failure,
   * before it spends more: send the message again to work on the new version.
   */
  postMessage(input: PostMessageInput): Promise<{ message: ChatMessage; job: AgentJob }>;
  listMessages(sessionId: string, page?: PageInput): Promise<Page<ChatMessage>>;
  getJob(jobId: string): Promise<AgentJob>;
  listJobs(filter: JobFilterInput, page?: PageInput): Promise<Page<AgentJob>>;
  /** Persisted events with `sequence > afterSequence`, in order. */
  listJobEvents(jobId: string, options?: JobEventsOptionsInput): Promise<AgentJobEvent[]>;
  /** The job's recorded steps (model and tool calls, every attempt's) with `index > afterIndex`, in order, outputs included. */
  listSteps(jobId: string, options?: JobStepsOptionsInput): Promise<AgentStep[]>;
  /** Cancels a queued or running job; a finished job is returned unchanged. */
  cancelJob(jobId: string): Promise<AgentJob>;
  /** Resolves once the job is complete, failed or cancelled. */
  waitForJob(jobId: string, options?: { timeoutMs?: number }): Promise<AgentJob>;
}

/** Deployments of code versions through providers. */
export interface DeploymentsApi {
  /**
   * Deploys a version (default: current). A preview for a (project, version) that already
   * has a usable preview returns that one with its expiry extended; a repeated
   * `idempotencyKey` returns the deployment it created.
   */
  create(input: CreateDeploymentInput): Promise<Deployment>;
  get(deploymentId: string): Promise<Deployment>;
  list(filter: DeploymentFilterInput, page?: PageInput): Promise<Page<Deployment>>;
  /** Asks the provider for status and new logs now, and records both. */
  refresh(deploymentId: string): Promise<Deployment>;
  listLogs(deploymentId: string, options?: DeploymentLogsOptionsInput): Promise<DeploymentLog[]>;
  destroy(deploymentId: string): Promise<Deployment>;
  /** Resolves once the deployment is live, failed or destroyed. */
  waitForDeployment(deploymentId: string, options?: { timeoutMs?: number }): Promise<Deployment>;
}

/** Runtime data tables for generated apps. */
export interface DataApi {
  createTable(input: CreateDataTableInput): Promise<DataTable>;
  /** The project's tables; with `deploymentId` of a preview, that preview's own copy (a production deployment uses the project's). */
  listTables(projectId: string, options?: { deploymentId?: string }): Promise<DataTable[]>;
  getTable(tableId: string): Promise<DataTable>;
  dropTable(tableId: string): Promise<void>;
  insertRow(tableId: string, data: Record<string, unknown>): Promise<DataRow>;
  getRow(rowId: string): Promise<DataRow>;
  listRows(tableId: string, query?: DataRowQuery, page?: PageInput): Promise<Page<DataRow>>;
  updateRow(rowId: string, patch: Record<string, unknown>): Promise<DataRow>;
  deleteRow(rowId: string): Promise<void>;
  /** Every change of a row, oldest first (its history outlives the row). */
  listRowVersions(rowId: string): Promise<DataRowVersion[]>;
  /** The table's rows as they were at `at` (an ISO timestamp), from the history. */
  listRowsAsOf(tableId: string, at: string): Promise<Array<{ id: string; data: Record<string, unknown> }>>;
  /**
   * The migrations applied to the project's data, oldest first: production's (`environment:
   * 'production'`, from the versions published or deployed to production) and each preview copy's
   * (`preview:<deployment id>`).
   */
  listMigrations(projectId: string): Promise<DataMigration[]>;
}

/** What the scope's organization spent on model calls. */
export interface UsageApi {
  /**
   * Tokens, calls and cost of the organization's agent steps over a time range, summed by day,
   * project and/or model, with the totals. The cost of a project, session or job is the same
   * call with a `projectId`, `sessionId` or `jobId` filter.
   */
  summarize(query?: UsageQueryInput): Promise<UsageSummary>;
}

/**
 * MCP connectors: servers whose tools the organization's agents may call. Header values are
 * secrets: encrypted at rest and never returned (only their names are).
 */
export interface ConnectorsApi {
  /**
   * Registers a connector (for the organization, or for one project with `projectId`) and runs
   * its first health check, whose outcome is in `health`: a connector that cannot be reached
   * is still saved, so its URL or token can be fixed.
   *
   * @throws ValidationError for a URL at a private, loopback or link-local address the server does not allow.
   * @throws ConflictError when the name is taken in that scope.
   */
  create(input: CreateConnectorInput): Promise<McpConnector>;
  /** The organization's connectors (with `projectId`: those that project's jobs see), the server's stdio ones first. */
  list(filter?: { projectId?: string }): Promise<McpConnector[]>;
  get(connectorId: string): Promise<McpConnector>;
  /** Changes a connector; a new URL or new headers are checked again. */
  update(connectorId: string, patch: UpdateConnectorInput): Promise<McpConnector>;
  delete(connectorId: string): Promise<void>;
  /** Connects, lists the tools and records the outcome in `health`. */
  check(connectorId: string): Promise<McpConnector>;
}

/** The audit trail of the scope's organization. */
export interface AuditApi {
  list(filter?: AuditFilterInput, page?: PageInput): Promise<Page<AuditLog>>;
  /**
   * Writes an organization-level entry as the scope's actor, for what happens outside the
   * engine (the reference server records API keys and invitations): the actor is always the
   * scope's, so an entry cannot name someone else. Announced as `audit.created` once committed.
   *
   * @throws NotFoundError when the scope's organization does not exist.
   * @throws ValidationError for a malformed action (dotted lower-case words) or entity.
   */
  record(input: RecordAuditInput): Promise<AuditLog>;
}

/** Everything one organization's actor can do; nothing here reaches another organization. */
export interface VectorScope {
  readonly organizationId: string;
  readonly actor: Actor;
  readonly projects: ProjectsApi;
  readonly versions: VersionsApi;
  readonly agent: AgentApi;
  readonly deployments: DeploymentsApi;
  readonly data: DataApi;
  readonly audit: AuditApi;
  readonly usage: UsageApi;
  readonly connectors: ConnectorsApi;
}

/** The engine returned by `createVector`. */
export interface Vector {
  /** The metadata store (Kysely). Tables are prefixed `vector_`. */
  readonly db: Kysely<any>;
  readonly dialect: SqlDialectName;
  readonly events: VectorEventBus;
  readonly organizations: OrganizationsApi;
  readonly users: UsersApi;
  /** Registered plugins, by name/type. */
  readonly plugins: {
    storage: ReadonlyMap<string, StorageBackend>;
    providers: ReadonlyMap<string, DeploymentProvider>;
    agents: ReadonlyMap<string, Agent>;
    /** The source mirror, or null when none is configured. */
    sourceMirror: SourceMirror | null;
  };
  /** The storage backend a project uses. @throws ValidationError when it is not registered. */
  getStorageBackend(project: Pick<Project, 'storageBackend'>): StorageBackend;
  /** A registered deployment provider (default: the first). @throws ValidationError when unknown. */
  getDeploymentProvider(name?: string): DeploymentProvider;
  /** A registered agent (default: the first). @throws ValidationError when unknown. */
  getAgent(type?: string): Agent;
  /** The API of one organization, acting as `actor`. */
  scope(input: VectorScopeInput): VectorScope;
  /**
   * The runtime data API a deployed app's data token (`VECTOR_DATA_TOKEN`) opens: its own
   * project's tables (a preview's own copy), by name, within their access rules.
   *
   * @throws UnauthorizedError for an invalid token, or one whose deployment was destroyed or expired.
   */
  runtimeData(token: string): Promise<RuntimeDataApi>;
  /**
   * Routes a push to a storage branch (a webhook) to the projects stored there, in whatever
   * organization, and syncs each (see `projects.syncStorage`). Returns what each sync found.
   */
  receiveStoragePush(input: { owner: string; repository: string; branch: string }): Promise<Array<{ organizationId: string; projectId: string; status: 'unsupported' | 'in_step' | 'imported' | 'diverged'; versionId: string | null }>>;
  /** Looks up a job's organization and project without a scope (for queue workers and SSE routing). */
  locateJob(jobId: string): Promise<{ organizationId: string; projectId: string } | null>;
  /** Looks up a deployment's organization and project without a scope (for event routing). */
  locateDeployment(deploymentId: string): Promise<{ organizationId: string; projectId: string } | null>;
  /**
   * Asks every storage backend that can collect garbage to delete content no CodeVersion
   * references. Content saved within `graceMs` (default one hour) is kept, so saves in
   * flight are safe.
   */
  collectStorageGarbage(options?: { graceMs?: number }): Promise<Array<{ backend: string; removedObjects: number; freedBytes: number }>>;
  /**
   * Re-encrypts every stored secret with the current key (the first of `secretKeys`); returns
   * how many were re-encrypted. Rotation: put the new key first and keep the old one after
   * it, restart, call this, then remove the old key.
   */
  rotateSecrets(): Promise<number>;
  /** Runs migrations (idempotent). `createVector` does not migrate by itself unless `migrate: true`. */
  migrate(): Promise<void>;
  /**
   * Starts background work: the job worker (when `roles` includes `worker`), recovery of
   * jobs a crashed process left running, the deployment monitor and the preview reaper.
   */
  start(): Promise<void>;
  /** Destroys expired previews now; returns how many were destroyed. */
  reapExpiredPreviews(): Promise<number>;
  /**
   * Returns jobs left `running` by a dead worker to the queue, and enqueues again the next job
   * of projects whose queued jobs nobody took (a lost hand-on, a job handed to a worker that
   * died before claiming it); returns how many jobs it enqueued.
   */
  recoverStaleJobs(): Promise<number>;
  /**
   * Stops background work. Running jobs get their signal aborted and go back to the queue
   * (status `queued`), so no job is left half-written. Does not close the database; the
   * engine can be started again.
   */
  stop(): Promise<void>;
  /** Stops the engine and disposes every plugin (closing their servers and clients). */
  dispose(): Promise<void>;
}

/** Outcome of validating agent output, re-exported for plugin authors. */
export type { ValidationStatus, JobQueue };
