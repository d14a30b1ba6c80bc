import type { RailwayServiceSettings } from './map-build-plan.js';
import type { RailwayApi } from './railway-api.js';

/**
 * Sets a service instance up for one version before it is deployed: the plan's build and
 * start commands, the region, and for a git deploy the repository — but never a branch.
 * Railway deploys a service on every push to its trigger branch; a service Vector deploys must
 * build only the commit it is given (`serviceInstanceDeployV2(commitSha)`), so every branch
 * trigger on it is deleted (Railway documents no trigger for a repository connected without
 * a branch; this makes sure, also for services changed in the dashboard).
 */
export async function applyServiceSettings(
  api: RailwayApi,
  input: { projectId: string; environmentId: string; serviceId: string; repo: string | null; settings: RailwayServiceSettings; region: string | undefined },
): Promise<void> {
  const { projectId, environmentId, serviceId, settings } = input;
  await api.updateServiceInstance({
    serviceId,
    environmentId,
    settings: {
      ...(input.repo ? { source: { repo: input.repo } } : {}),
      buildCommand: settings.buildCommand,
      startCommand: settings.startCommand,
      ...(input.region ? { region: input.region } : {}),
    },
  });
  await removeDeployTriggers(api, { projectId, environmentId, serviceId });
}

/** Deletes every branch trigger of the service instance, so no push deploys it. */
export async function removeDeployTriggers(api: RailwayApi, input: { projectId: string; environmentId: string; serviceId: string }): Promise<void> {
  for (const trigger of await api.listDeploymentTriggers(input)) await api.deleteDeploymentTrigger(trigger.id);
}
