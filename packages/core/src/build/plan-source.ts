import type { SourceFile } from '../schemas/source-file.js';
import type { DeploymentSource } from '../plugins/deployment-provider.js';
import type { BuildPlan } from './build-plan.js';
import { planBuild } from './plan-build.js';

/**
 * The build plan of the version a provider deploys: {@link planBuild} over its files, which
 * are read once and returned for whoever needs them next (a tarball, a build context). A
 * version the planner cannot build is a `ValidationError` that says why, so the deploy fails
 * before anything is created on the platform.
 */
export async function planSource(source: DeploymentSource): Promise<{ plan: BuildPlan; files: SourceFile[] }> {
  const files = await source.getFiles();
  return { plan: planBuild(files), files };
}
