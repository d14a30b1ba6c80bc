import type { GitSource } from '@vector/core';
import type { RenderServiceSettings } from './map-build-plan.js';
import type { RenderApi } from './render-api.js';
import type { ResolvedRenderProviderOptions } from './render-provider-options.js';
import type { RenderService } from './render-types.js';

/**
 * The `POST /services` body of a new service for one version. Every service Vector creates
 * has `autoDeploy: 'no'`: Render's default is to deploy every push to the branch, and a push
 * must never replace a version Vector deployed (deploys name their commit instead).
 */
export function createServiceBody(providerSettings: ResolvedRenderProviderOptions, input: { name: string; ownerId: string; git: GitSource; environment: 'preview' | 'production'; settings: RenderServiceSettings }): Record<string, unknown> {
  const { settings } = input;
  const common = {
    type: settings.type,
    name: input.name,
    ownerId: input.ownerId,
    repo: input.git.repositoryUrl,
    branch: input.git.branch,
    autoDeploy: 'no',
    ...(providerSettings.rootDir ? { rootDir: providerSettings.rootDir } : {}),
  };
  if (settings.type === 'static_site') {
    return { ...common, serviceDetails: { buildCommand: settings.buildCommand, publishPath: settings.publishPath, ...(settings.routes.length > 0 ? { routes: settings.routes } : {}) } };
  }
  const envSpecificDetails = settings.runtime === 'docker' ? { dockerfilePath: providerSettings.dockerfilePath, dockerContext: '.' } : { buildCommand: settings.buildCommand, startCommand: settings.startCommand };
  return {
    ...common,
    serviceDetails: {
      runtime: settings.runtime,
      plan: input.environment === 'preview' ? (providerSettings.previewPlan ?? providerSettings.plan) : providerSettings.plan,
      region: providerSettings.region,
      envSpecificDetails,
      ...(providerSettings.healthCheckPath ? { healthCheckPath: providerSettings.healthCheckPath } : {}),
    },
  };
}

const sameRoutes = (a: ReadonlyArray<{ type: string; source: string; destination: string }>, b: typeof a) =>
  a.length === b.length && a.every((route, index) => route.type === b[index]?.type && route.source === b[index]?.source && route.destination === b[index]?.destination);

/**
 * Brings an existing service in line with this version before it is deployed: auto-deploy
 * off (services made before Vector pinned deploys, or changed in the dashboard), the build
 * and start commands or publish path of the version's plan, and a static site's rewrite
 * rules. Only what differs is written (PATCH is limited to 10 a minute per service).
 */
export async function syncServiceSettings(api: RenderApi, service: RenderService, settings: RenderServiceSettings): Promise<void> {
  const patch: Record<string, unknown> = {};
  if (service.autoDeployTrigger !== undefined ? service.autoDeployTrigger !== 'off' : service.autoDeploy !== 'no') {
    if (service.autoDeployTrigger !== undefined) patch.autoDeployTrigger = 'off';
    else patch.autoDeploy = 'no';
  }
  const details = service.serviceDetails ?? {};
  if (settings.type === 'static_site' && service.type === 'static_site') {
    if (details.buildCommand !== settings.buildCommand || details.publishPath !== settings.publishPath) patch.serviceDetails = { buildCommand: settings.buildCommand, publishPath: settings.publishPath };
  } else if (settings.type === 'web_service' && settings.runtime !== 'docker' && service.type === 'web_service') {
    const current = details.envSpecificDetails ?? {};
    if (current.buildCommand !== settings.buildCommand || current.startCommand !== settings.startCommand) {
      patch.serviceDetails = { envSpecificDetails: { buildCommand: settings.buildCommand, startCommand: settings.startCommand } };
    }
  }
  if (Object.keys(patch).length > 0) await api.updateService(service.id, patch);
  if (settings.type === 'static_site' && service.type === 'static_site' && !sameRoutes(await api.listRoutes(service.id), settings.routes)) await api.replaceRoutes(service.id, settings.routes);
}
