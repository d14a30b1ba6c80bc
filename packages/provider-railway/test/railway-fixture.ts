import type { ProviderDeploymentState, SourceFile } from '@vector/core';
import { createRailwayProvider, type RailwayProvider } from '../src/index.js';
import type { FakeRailway } from './fake-railway-api.js';

type DeployInput = Parameters<RailwayProvider['deploy']>[0];

const encode = (text: string) => new TextEncoder().encode(text);

/** A Node server's files: the build plan gives its start command. */
export const serverFiles: SourceFile[] = [
  { path: 'package.json', content: encode('{"name":"app","scripts":{"start":"node server.js"}}\n') },
  { path: 'server.js', content: encode('require("http").createServer((_, res) => res.end("ok")).listen(process.env.PORT);\n') },
];

/** A provider on the fake Railway API, with tiny retry delays. */
export function fakeRailwayProvider(fake: FakeRailway, overrides: Parameters<typeof createRailwayProvider>[0] = {}): RailwayProvider {
  return createRailwayProvider({ token: fake.token, baseUrl: fake.url, workspaceId: fake.workspaceId, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 }, ...overrides });
}

/** Polls the deployment until it is live, failed or destroyed, at most 30 times; returns its last state. */
export async function settle(provider: RailwayProvider, state: ProviderDeploymentState): Promise<ProviderDeploymentState> {
  let current = state;
  for (let poll = 0; poll < 30 && !['live', 'failed', 'destroyed'].includes(current.status); poll += 1) current = await provider.getStatus({ providerDeploymentId: current.providerDeploymentId });
  return current;
}

/**
 * The `n`th deploy of a test file (ids `dep-<prefix>-<n>`, key `<prefix>-<n>`): commit `commit`
 * of github.com/acme/<repository>, whose files are `files`, with no variables or secrets.
 */
export function commitDeploy(prefix: string, n: number, input: { commit: string; repository: string; project: { id: string; name: string }; files: SourceFile[]; environment: DeployInput['environment'] }): DeployInput {
  return {
    deploymentId: `dep-${prefix}-${n}`,
    idempotencyKey: `${prefix}-${n}`,
    project: { id: input.project.id, organizationId: 'org-1', name: input.project.name },
    version: { id: `ver-${prefix}-${n}`, number: n, storageRef: input.commit },
    environment: input.environment,
    source: { git: { repositoryUrl: `https://github.com/acme/${input.repository}`, owner: 'acme', repository: input.repository, branch: 'main', commitSha: input.commit }, getFiles: async () => input.files },
    env: {},
    secrets: {},
  };
}

/**
 * A fetch that loses the answer to the first request whose body mentions `operation`: the
 * request reaches the server, then the call fails as a network error. Other requests pass.
 */
export function losingFirstAnswerTo(operation: string): typeof fetch {
  let dropped = false;
  return async (url, init) => {
    if (!dropped && String(init?.body).includes(operation)) {
      dropped = true;
      await fetch(url, init);
      throw new TypeError('fetch failed');
    }
    return fetch(url, init);
  };
}
