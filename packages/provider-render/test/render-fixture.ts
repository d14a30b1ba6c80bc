import type { DeploymentProvider, ProviderDeploymentState, SourceFile } from '@vector/core';
import { createRenderProvider, type RenderProviderOptions } from '../src/index.js';
import type { FakeRenderApi } from './fake-render-api.js';

/** A provider on the fake Render API, with tiny retry delays. */
export function fakeRenderProvider(fake: FakeRenderApi, overrides: RenderProviderOptions = {}): DeploymentProvider {
  return createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 }, ...overrides });
}

/** Polls the deployment until it is live, failed or destroyed; throws after 30 polls. */
export async function settle(provider: DeploymentProvider, providerDeploymentId: string): Promise<ProviderDeploymentState> {
  for (let poll = 0; poll < 30; poll += 1) {
    const state = await provider.getStatus({ providerDeploymentId });
    if (['live', 'failed', 'destroyed'].includes(state.status)) return state;
  }
  throw new Error('did not settle');
}

/**
 * The `n`th deploy of a test file (ids `dep_<prefix>_<n>`, key `<prefix>-<n>`): version `number`,
 * commit `commit` of github.com/acme/<repository>, whose files are `files`, with no variables
 * or secrets.
 */
export function commitDeploy(prefix: string, n: number, input: { commit: string; repository: string; project: { id: string; name: string }; files: SourceFile[]; environment: 'preview' | 'production'; number: number }) {
  return {
    deploymentId: `dep_${prefix}_${n}`,
    idempotencyKey: `${prefix}-${n}`,
    project: { id: input.project.id, organizationId: 'org_1', name: input.project.name },
    version: { id: `ver_${prefix}_${n}`, number: input.number, storageRef: input.commit },
    environment: input.environment,
    source: { git: { repositoryUrl: `https://github.com/acme/${input.repository}`, owner: 'acme', repository: input.repository, branch: 'main', commitSha: input.commit }, getFiles: async () => input.files },
    env: {},
    secrets: {},
  };
}
