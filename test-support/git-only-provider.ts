import { defineDeploymentProvider, type GitSource, UnsupportedError } from '@vector/core';

/**
 * A deployment provider that, like Railway and Render, builds only git commits: it records in
 * `built` each commit it was given and refuses a version without one. Its deployments are live
 * at once, at `https://git-<n>.example`.
 */
export function createGitOnlyProvider() {
  const built: GitSource[] = [];
  let counter = 0;
  const provider = defineDeploymentProvider({
    specificationVersion: 'v1',
    name: 'git-only',
    capabilities: { environments: ['preview', 'production'], sources: ['git'], logs: false },
    deploy: async ({ source }) => {
      if (!source.git) throw new UnsupportedError({ message: 'git-only builds git commits only; store the project in git', details: { provider: 'git-only' } });
      built.push(source.git);
      counter += 1;
      return { providerDeploymentId: `git-${counter}`, status: 'live', providerStatus: 'LIVE', url: `https://git-${counter}.example` };
    },
    getStatus: async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'live', providerStatus: 'LIVE', url: `https://${providerDeploymentId}.example` }),
    getLogs: async () => ({ entries: [], cursor: null }),
    getUrl: async ({ providerDeploymentId }) => `https://${providerDeploymentId}.example`,
    destroy: async () => undefined,
  });
  return { provider, built };
}
