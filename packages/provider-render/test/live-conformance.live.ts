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
import { createRenderProvider } from '../src/index.js';
import { liveDeploymentConformance, liveGitSource } from '../../../test-support/live-conformance.js';

const env = process.env;
const git = liveGitSource();

liveDeploymentConformance({
  name: `render (live API, ${git.owner}/${git.repository}@${git.commitSha.slice(0, 7)})`,
  createProvider: () => createRenderProvider({ apiKey: env.RENDER_API_KEY, serviceNamePrefix: 'vector-live', plan: env.RENDER_LIVE_PLAN ?? 'starter' }),
  git,
});
