/**
 * The deployment conformance suite against the real Render API. Never part of `pnpm test`
 * (the file is not a `*.test.ts`): `pnpm verify:live` runs it when RENDER_API_KEY,
 * VECTOR_LIVE_GITHUB_REPO and VECTOR_LIVE_GITHUB_COMMIT are set.
 *
 * - RENDER_API_KEY: an API key; RENDER_OWNER_ID when it sees several workspaces.
 * - VECTOR_LIVE_GITHUB_REPO (`owner/name`) and VECTOR_LIVE_GITHUB_COMMIT (+ _BRANCH, default
 *   `main`): a commit Render's GitHub connection can read, holding a static site (an
 *   index.html at the root, like the suite's files): it becomes a free static site. Render
 *   cannot take files. The run deletes the services it made.
 */
import type { DeploymentProvider } from '@vector/core';
import { deploymentProviderConformance } from '@vector/core/testing';
import { createRenderProvider } from '../src/index.js';

const env = process.env;
const [owner = '', repository = ''] = (env.VECTOR_LIVE_GITHUB_REPO ?? '').split('/');

/** The suite's deploys, with the live commit in place of its made-up one; remembers what it made. */
function liveProvider(provider: DeploymentProvider, made: Set<string>): DeploymentProvider {
  return {
    ...provider,
    async deploy(input) {
      const git = { repositoryUrl: `https://github.com/${owner}/${repository}`, owner, repository, branch: env.VECTOR_LIVE_GITHUB_BRANCH ?? 'main', commitSha: env.VECTOR_LIVE_GITHUB_COMMIT ?? '' };
      const state = await provider.deploy({ ...input, source: { git, getFiles: input.source.getFiles } });
      made.add(state.providerDeploymentId);
      return state;
    },
  };
}

deploymentProviderConformance({
  name: `render (live API, ${owner}/${repository}@${(env.VECTOR_LIVE_GITHUB_COMMIT ?? '').slice(0, 7)})`,
  create: async () => {
    const made = new Set<string>();
    const provider = createRenderProvider({ apiKey: env.RENDER_API_KEY, serviceNamePrefix: 'vector-live', plan: env.RENDER_LIVE_PLAN ?? 'starter' });
    return {
      provider: liveProvider(provider, made),
      cleanup: async () => {
        for (const providerDeploymentId of made) await provider.destroy({ providerDeploymentId }).catch(() => undefined);
      },
    };
  },
  timeoutMs: 15 * 60_000,
  pollIntervalMs: 5000,
  checkUrl: true,
});
