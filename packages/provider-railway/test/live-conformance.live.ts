/**
 * The deployment conformance suite against the real Railway API. Never part of `pnpm test`
 * (the file is not a `*.test.ts`): `pnpm verify:live` runs it when RAILWAY_API_TOKEN and
 * RAILWAY_PROJECT_ID are set.
 *
 * - RAILWAY_API_TOKEN: an account or workspace token.
 * - RAILWAY_PROJECT_ID: an existing project every deployment goes into (its `production`
 *   environment, or RAILWAY_LIVE_ENVIRONMENT); the run deletes the services it made.
 * - VECTOR_LIVE_GITHUB_REPO (`owner/name`) and VECTOR_LIVE_GITHUB_COMMIT (+ _BRANCH, default
 *   `main`): a commit Railway's GitHub app can read, holding a static site (an index.html at
 *   the root, like the suite's files). Without them the files are uploaded as a tarball.
 */
import type { DeploymentProvider } from '@vector/core';
import { deploymentProviderConformance } from '@vector/core/testing';
import { createRailwayProvider } from '../src/index.js';

const env = process.env;
const repo = env.VECTOR_LIVE_GITHUB_REPO;
const commit = env.VECTOR_LIVE_GITHUB_COMMIT;

/** The suite's deploys, with the live source in place of its made-up commit; remembers what it made. */
function liveProvider(provider: DeploymentProvider, made: Set<string>): DeploymentProvider {
  const [owner = '', repository = ''] = (repo ?? '').split('/');
  return {
    ...provider,
    async deploy(input) {
      const git = repo && commit ? { repositoryUrl: `https://github.com/${owner}/${repository}`, owner, repository, branch: env.VECTOR_LIVE_GITHUB_BRANCH ?? 'main', commitSha: commit } : null;
      const state = await provider.deploy({ ...input, source: { git, getFiles: input.source.getFiles } });
      made.add(state.providerDeploymentId);
      return state;
    },
  };
}

deploymentProviderConformance({
  name: `railway (live API${repo && commit ? `, ${repo}@${commit.slice(0, 7)}` : ', tarball upload'})`,
  create: async () => {
    const made = new Set<string>();
    const provider = createRailwayProvider({
      token: env.RAILWAY_API_TOKEN,
      projectId: env.RAILWAY_PROJECT_ID,
      ...(env.RAILWAY_WORKSPACE_ID ? { workspaceId: env.RAILWAY_WORKSPACE_ID } : {}),
      ...(env.RAILWAY_LIVE_ENVIRONMENT ? { environmentName: env.RAILWAY_LIVE_ENVIRONMENT } : {}),
      namePrefix: 'vector-live',
      upload: repo && commit ? 'off' : 'tarball',
    });
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
