import { type DeploymentStatus, isSettledDeploymentStatus } from '@vector/core';

const statuses: Record<string, DeploymentStatus> = {
  created: 'pending',
  queued: 'pending',
  build_in_progress: 'building',
  update_in_progress: 'building',
  pre_deploy_in_progress: 'building',
  live: 'live',
  build_failed: 'failed',
  update_failed: 'failed',
  pre_deploy_failed: 'failed',
  canceled: 'failed',
  // A deploy is deactivated once a newer one took over the service: it no longer serves.
  deactivated: 'destroyed',
};

/**
 * Maps Render's deploy status onto Vector's. An unknown value (Render added one) counts as
 * `building`, so the engine keeps polling rather than declaring an outcome it cannot know.
 */
export function mapRenderStatus(status: string): DeploymentStatus {
  return statuses[status] ?? 'building';
}

/** True when Render will not change the deploy's status any more. */
export function isSettledRenderStatus(status: string): boolean {
  const mapped = statuses[status];
  return mapped !== undefined && isSettledDeploymentStatus(mapped);
}
