import type { Selectable } from 'kysely';
import type { AgentJobEvent, AgentStepKind, AgentStepStatus, ErrorInfo, JobEventData } from '../../schemas/agent-event.js';
import type { AgentStep } from '../../schemas/agent-step.js';
import type { AgentJob, AgentJobStatus, AgentJobType } from '../../schemas/agent-job.js';
import type { AgentSession, ChatMessage } from '../../schemas/agent-session.js';
import type { AuditLog } from '../../schemas/audit-log.js';
import type { CodeVersion, GenerationStatus, ValidationCheck, ValidationStatus, VersionSource } from '../../schemas/code-version.js';
import type { Actor } from '../../schemas/common.js';
import type { DataColumn, DataMigration, DataRow, DataRowVersion, DataTable } from '../../schemas/data-table.js';
import type { Deployment, DeploymentEnvironment, DeploymentLog, DeploymentStatus } from '../../schemas/deployment.js';
import type { MemberRole, Membership, Organization, User } from '../../schemas/organization.js';
import type { Project, StorageConflict } from '../../schemas/project.js';
import type { CoreDatabase } from './database-schema.js';
import { fromJson } from './json-column.js';

type Row<Table extends keyof CoreDatabase> = Selectable<CoreDatabase[Table]>;

export const toOrganization = (row: Row<'vector_organizations'>): Organization => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  monthlyBudgetUsd: row.monthly_budget_usd === null || row.monthly_budget_usd === undefined ? null : Number(row.monthly_budget_usd),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toUser = (row: Row<'vector_users'>): User => ({ id: row.id, email: row.email, name: row.name, createdAt: row.created_at });

export const toMembership = (row: Row<'vector_memberships'>): Membership => ({
  organizationId: row.organization_id,
  userId: row.user_id,
  role: row.role as MemberRole,
  createdAt: row.created_at,
});

export const toProject = (row: Row<'vector_projects'>): Project => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  description: row.description,
  storageBackend: row.storage_backend,
  settings: fromJson(row.settings),
  currentVersionId: row.current_version_id,
  publishedVersionId: row.published_version_id,
  storageConflict: row.storage_conflict ? fromJson<StorageConflict>(row.storage_conflict) : null,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toCodeVersion = (row: Row<'vector_code_versions'>): CodeVersion => ({
  id: row.id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  number: Number(row.number),
  parentId: row.parent_id,
  storageRef: row.storage_ref,
  message: row.message,
  source: row.source as VersionSource,
  restoredFromId: row.restored_from_id,
  jobId: row.job_id,
  validationStatus: row.validation_status as ValidationStatus,
  validationCheck: row.validation_check as ValidationCheck | null,
  generationStatus: row.generation_status as GenerationStatus,
  fileCount: Number(row.file_count),
  createdBy: row.created_by,
  author: row.author ? fromJson<{ name: string; email: string }>(row.author) : null,
  createdAt: row.created_at,
});

export const toSession = (row: Row<'vector_agent_sessions'>): AgentSession => ({
  id: row.id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  agentType: row.agent_type,
  title: row.title,
  settings: fromJson(row.settings),
  createdBy: row.created_by,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toChatMessage = (row: Row<'vector_chat_messages'>): ChatMessage => ({
  id: row.id,
  sessionId: row.session_id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  role: row.role as ChatMessage['role'],
  content: row.content,
  jobId: row.job_id,
  versionId: row.version_id,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

/** A job's budget and counters as plain numbers, whatever numeric type the database driver returned. */
type CounterColumns = 'max_steps' | 'max_tokens' | 'max_cost_usd' | 'prompt_tokens' | 'cached_tokens' | 'completion_tokens' | 'total_tokens' | 'steps' | 'cost_usd' | 'unpriced_calls' | 'attempts';

/** A job's budget and spending (every attempt's). Its cost is null when it made model calls and none was priced. */
export const toJobCounters = (row: Pick<Row<'vector_agent_jobs'>, CounterColumns>): Pick<AgentJob, 'budget' | 'usage' | 'steps' | 'costUsd' | 'unpricedModelCalls' | 'attempts'> => {
  const steps = Number(row.steps);
  const unpriced = Number(row.unpriced_calls);
  return {
    budget: { maxSteps: Number(row.max_steps), maxTokens: Number(row.max_tokens), maxCostUsd: row.max_cost_usd === null ? null : Number(row.max_cost_usd) },
    usage: { promptTokens: Number(row.prompt_tokens), cachedTokens: Number(row.cached_tokens), completionTokens: Number(row.completion_tokens), totalTokens: Number(row.total_tokens) },
    steps,
    costUsd: steps > 0 && unpriced === steps ? null : Number(row.cost_usd),
    unpricedModelCalls: unpriced,
    attempts: Number(row.attempts),
  };
};

export const toAgentStep = (row: Row<'vector_agent_steps'>): AgentStep => ({
  id: row.id,
  jobId: row.job_id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  sessionId: row.session_id,
  index: Number(row.step_index),
  attempt: Number(row.attempt),
  kind: row.kind as AgentStepKind,
  name: row.name,
  model: row.model,
  inputDigest: row.input_digest,
  output: row.output === null ? null : fromJson<unknown>(row.output),
  status: row.status as AgentStepStatus,
  error: row.error,
  usage: { promptTokens: Number(row.prompt_tokens), cachedTokens: Number(row.cached_tokens), completionTokens: Number(row.completion_tokens), totalTokens: Number(row.total_tokens) },
  costUsd: row.cost_usd === null ? null : Number(row.cost_usd),
  durationMs: Number(row.duration_ms),
  createdAt: row.created_at,
});

export const toAgentJob = (row: Row<'vector_agent_jobs'>): AgentJob => ({
  id: row.id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  sessionId: row.session_id,
  messageId: row.message_id,
  agentType: row.agent_type,
  status: row.status as AgentJobStatus,
  jobType: (row.job_type as AgentJobType | null) ?? null,
  baseVersionId: row.base_version_id,
  resultVersionId: row.result_version_id,
  plan: row.plan === null ? null : fromJson<string[]>(row.plan),
  error: row.error === null ? null : fromJson<ErrorInfo>(row.error),
  ...toJobCounters(row),
  createdBy: row.created_by,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

export const toJobEvent = (row: Row<'vector_agent_job_events'>): AgentJobEvent => ({
  jobId: row.job_id,
  sequence: Number(row.sequence),
  attempt: Number(row.attempt),
  createdAt: row.created_at,
  data: fromJson<JobEventData>(row.data),
});

export const toDeployment = (row: Row<'vector_deployments'>): Deployment => ({
  id: row.id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  versionId: row.version_id,
  provider: row.provider,
  environment: row.environment as DeploymentEnvironment,
  status: row.status as DeploymentStatus,
  providerDeploymentId: row.provider_deployment_id,
  providerStatus: row.provider_status,
  url: row.url,
  envKeys: [...Object.keys(fromJson<Record<string, string>>(row.env)), ...fromJson<string[]>(row.secret_keys)].sort(),
  expiresAt: row.expires_at,
  idempotencyKey: row.idempotency_key,
  error: row.error === null ? null : fromJson<ErrorInfo>(row.error),
  logCursor: row.log_cursor,
  createdBy: row.created_by,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  liveAt: row.live_at,
  destroyedAt: row.destroyed_at,
});

export const toDeploymentLog = (row: Row<'vector_deployment_logs'>): DeploymentLog => ({
  deploymentId: row.deployment_id,
  sequence: Number(row.sequence),
  timestamp: row.timestamp,
  level: row.level as DeploymentLog['level'],
  source: row.source as DeploymentLog['source'],
  message: row.message,
});

export const toAuditLog = (row: Row<'vector_audit_logs'>): AuditLog => ({
  id: row.id,
  organizationId: row.organization_id,
  projectId: row.project_id,
  actor: { type: row.actor_type as Actor['type'], id: row.actor_id },
  action: row.action,
  entityType: row.entity_type,
  entityId: row.entity_id,
  beforeId: row.before_id,
  afterId: row.after_id,
  data: fromJson(row.data),
  createdAt: row.created_at,
});

export const toDataTable = (row: Row<'vector_data_tables'>): DataTable => ({
  id: row.id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  // A branch's copy is stored as `<name>#<branch>` (see data-history's storedTableName).
  name: row.name.split('#', 1)[0] as string,
  branch: row.branch,
  columns: fromJson<DataColumn[]>(row.columns),
  indexes: fromJson<DataTable['indexes']>(row.indexes),
  access: fromJson<DataTable['access']>(row.access),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toDataRowVersion = (row: Row<'vector_data_row_versions'>): DataRowVersion => ({
  rowId: row.row_id,
  tableId: row.table_id,
  projectId: row.project_id,
  revision: Number(row.revision),
  data: row.data === null ? null : fromJson<Record<string, unknown>>(row.data),
  actor: row.actor,
  createdAt: row.created_at,
});

export const toDataMigration = (row: Row<'vector_data_migrations'>): DataMigration => ({
  id: row.id,
  projectId: row.project_id,
  organizationId: row.organization_id,
  environment: row.environment,
  versionId: row.version_id,
  fromVersionId: row.from_version_id,
  steps: fromJson<DataMigration['steps']>(row.steps),
  destructive: Number(row.destructive) === 1,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

export const toDataRow = (row: Row<'vector_data_rows'>): DataRow => ({
  id: row.id,
  tableId: row.table_id,
  projectId: row.project_id,
  data: fromJson(row.data),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});
