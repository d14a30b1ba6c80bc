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
import { createRailwayProvider } from '../src/index.js';
import { liveDeploymentConformance, liveGitSource } from '../../../test-support/live-conformance.js';

const env = process.env;
const repo = env.VECTOR_LIVE_GITHUB_REPO;
const commit = env.VECTOR_LIVE_GITHUB_COMMIT;

liveDeploymentConformance({
  name: `railway (live API${repo && commit ? `, ${repo}@${commit.slice(0, 7)}` : ', tarball upload'})`,
  createProvider: () =>
    createRailwayProvider({
      token: env.RAILWAY_API_TOKEN,
      projectId: env.RAILWAY_PROJECT_ID,
      ...(env.RAILWAY_WORKSPACE_ID ? { workspaceId: env.RAILWAY_WORKSPACE_ID } : {}),
      ...(env.RAILWAY_LIVE_ENVIRONMENT ? { environmentName: env.RAILWAY_LIVE_ENVIRONMENT } : {}),
      namePrefix: 'vector-live',
      upload: repo && commit ? 'off' : 'tarball',
    }),
  git: repo && commit ? liveGitSource() : null,
});
