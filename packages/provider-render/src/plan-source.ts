import { type BuildPlan, type DeploymentSource, planBuild, type SourceFile } from '@vector/core';

/**
 * The build plan of the version being deployed: core's `planBuild` over its files, which are
 * read once per deploy and returned for whoever needs them next. A version the planner cannot
 * build is a `ValidationError` that says why, and the deploy fails with it before anything is
 * created on the platform.
 */
export async function planSource(source: DeploymentSource): Promise<{ plan: BuildPlan; files: SourceFile[] }> {
  const files = await source.getFiles();
  return { plan: planBuild(files), files };
}
