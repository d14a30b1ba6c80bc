import type { DeploymentStatus } from '@vector/core';

/** Every value of Railway's `DeploymentStatus` enum (from the live schema, not the docs table). */
export const RAILWAY_DEPLOYMENT_STATUSES = [
  'BUILDING',
  'CRASHED',
  'DEPLOYING',
  'FAILED',
  'INITIALIZING',
  'NEEDS_APPROVAL',
  'QUEUED',
  'REMOVED',
  'REMOVING',
  'SKIPPED',
  'SLEEPING',
  'SUCCESS',
  'WAITING',
] as const;

/** A Railway deployment status. */
export type RailwayDeploymentStatus = (typeof RAILWAY_DEPLOYMENT_STATUSES)[number];

const mapping: Record<RailwayDeploymentStatus, DeploymentStatus> = {
  QUEUED: 'pending',
  WAITING: 'pending',
  INITIALIZING: 'pending',
  // Waiting for a human to approve the deploy in Railway's dashboard: not started yet.
  NEEDS_APPROVAL: 'pending',
  BUILDING: 'building',
  DEPLOYING: 'building',
  SUCCESS: 'live',
  // An app-sleeping service wakes on the next request: its URL still serves.
  SLEEPING: 'live',
  FAILED: 'failed',
  CRASHED: 'failed',
  // Railway skips a deploy superseded before it started; it will never go live.
  SKIPPED: 'failed',
  REMOVING: 'destroyed',
  REMOVED: 'destroyed',
};

/**
 * Maps Railway's deployment status onto Vector's five. An unknown value (a status Railway adds
 * later) maps to `building` so the engine keeps polling instead of declaring an outcome.
 */
export function mapRailwayStatus(status: string): DeploymentStatus {
  return (mapping as Record<string, DeploymentStatus>)[status] ?? 'building';
}
