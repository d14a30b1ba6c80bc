import type { WarningCode } from '../errors/warning-code.js';
import type { Emitter } from 'mitt';
import type { AgentJobEvent } from '../schemas/agent-event.js';
import type { AgentJob } from '../schemas/agent-job.js';
import type { AuditLog } from '../schemas/audit-log.js';
import type { CodeVersion } from '../schemas/code-version.js';
import type { Deployment, DeploymentLog } from '../schemas/deployment.js';
import type { Project } from '../schemas/project.js';

/** Every event carries its tenant so subscribers can filter without a lookup. */
export interface VectorEventScope {
  organizationId: string;
  projectId: string;
}

/**
 * What the engine announces on its bus, after the change is committed to the database.
 * The bus is in-process; the reference server bridges it across processes.
 */
export type VectorEvents = {
  /** A job event was persisted (delivered in `sequence` order per job). */
  'job.event': VectorEventScope & { jobId: string; event: AgentJobEvent };
  /** A job's row changed (status, usage, result). */
  'job.updated': VectorEventScope & { job: AgentJob };
  'version.created': VectorEventScope & { version: CodeVersion };
  'project.updated': VectorEventScope & { project: Project };
  'deployment.updated': VectorEventScope & { deployment: Deployment };
  /** A deployment log line was persisted. */
  'deployment.log': VectorEventScope & { deploymentId: string; log: DeploymentLog };
  'audit.created': { organizationId: string; entry: AuditLog };
  /** A non-fatal problem (e.g. a provider call that will be retried). */
  warning: { organizationId?: string; projectId?: string; code: WarningCode; message: string };
};

/** The engine's typed event bus (a mitt emitter). */
export type VectorEventBus = Emitter<VectorEvents>;
