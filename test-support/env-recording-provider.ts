import { defineDeploymentProvider } from '@vector/core';

/**
 * A deployment provider that goes live at once and keeps the variables each deployment was given
 * (its data URL and token, say), by deployment id. Its deployments live at `urlOf(deploymentId)`.
 */
export function createEnvRecordingProvider(urlOf: (deploymentId: string) => string = (deploymentId) => `https://${deploymentId}.example`) {
  const envs = new Map<string, Record<string, string>>();
  const provider = defineDeploymentProvider({
    specificationVersion: 'v1',
    name: 'env-recording',
    capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: false },
    deploy: async ({ deploymentId, env }) => {
      envs.set(deploymentId, env);
      return { providerDeploymentId: deploymentId, status: 'live', providerStatus: 'LIVE', url: urlOf(deploymentId) };
    },
    getStatus: async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'live', providerStatus: 'LIVE', url: urlOf(providerDeploymentId) }),
    getLogs: async () => ({ entries: [], cursor: null }),
    getUrl: async ({ providerDeploymentId }) => urlOf(providerDeploymentId),
    destroy: async () => undefined,
  });
  return { provider, envs };
}
