import { type BuildPlan, type DeploymentSource, planBuild } from '@vector/core';

/**
 * The build plan of the version being deployed: core's `planBuild` over its files. The
 * files are read once per deploy; a version the planner cannot build is a `ValidationError`
 * that says why, and the deploy fails with it before anything is created on the platform.
 */
export async function planSource(source: DeploymentSource): Promise<BuildPlan> {
  return planBuild(await source.getFiles());
}
