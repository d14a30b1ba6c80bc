import type { DeploymentProvider, GitSource } from '@vector/core';
import { deploymentProviderConformance } from '@vector/core/testing';

const env = process.env;

/** The commit named by VECTOR_LIVE_GITHUB_REPO (`owner/name`), VECTOR_LIVE_GITHUB_COMMIT and VECTOR_LIVE_GITHUB_BRANCH (default `main`). */
export function liveGitSource(): GitSource {
  const [owner = '', repository = ''] = (env.VECTOR_LIVE_GITHUB_REPO ?? '').split('/');
  return { repositoryUrl: `https://github.com/${owner}/${repository}`, owner, repository, branch: env.VECTOR_LIVE_GITHUB_BRANCH ?? 'main', commitSha: env.VECTOR_LIVE_GITHUB_COMMIT ?? '' };
}

/**
 * The deployment conformance suite against a real platform API, one provider from
 * `createProvider` per case: each deploy builds `git` (null: the suite's files) in place of the
 * suite's made-up commit, and every deployment made is destroyed after the case.
 */
export function liveDeploymentConformance(options: { name: string; createProvider: () => DeploymentProvider; git: GitSource | null }): void {
  deploymentProviderConformance({
    name: options.name,
    create: async () => {
      const made = new Set<string>();
      const provider = options.createProvider();
      return {
        provider: {
          ...provider,
          async deploy(input) {
            const state = await provider.deploy({ ...input, source: { git: options.git, getFiles: input.source.getFiles } });
            made.add(state.providerDeploymentId);
            return state;
          },
        },
        cleanup: async () => {
          for (const providerDeploymentId of made) await provider.destroy({ providerDeploymentId }).catch(() => undefined);
        },
      };
    },
    timeoutMs: 15 * 60_000,
    pollIntervalMs: 5000,
    checkUrl: true,
  });
}
