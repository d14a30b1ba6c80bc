import type { AgentJobStatus } from '../schemas/agent-job.js';
import type { DeploymentStatus } from '../schemas/deployment.js';

/** Deployment statuses that never change by themselves: only a new deploy or a destroy follows. */
export const SETTLED_DEPLOYMENT_STATUSES: ReadonlySet<DeploymentStatus> = new Set<DeploymentStatus>(['live', 'failed', 'destroyed']);

/** Job statuses a job never leaves. */
export const TERMINAL_JOB_STATUSES: ReadonlySet<AgentJobStatus> = new Set<AgentJobStatus>(['complete', 'failed', 'cancelled']);

/** True when a deployment in `status` has settled (see {@link SETTLED_DEPLOYMENT_STATUSES}). */
export function isSettledDeploymentStatus(status: string): boolean {
  return (SETTLED_DEPLOYMENT_STATUSES as ReadonlySet<string>).has(status);
}

/** True when a job in `status` is finished (see {@link TERMINAL_JOB_STATUSES}). */
export function isTerminalJobStatus(status: string): boolean {
  return (TERMINAL_JOB_STATUSES as ReadonlySet<string>).has(status);
}
