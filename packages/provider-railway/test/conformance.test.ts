import { deploymentProviderConformance } from '@vector/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { createRailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';

let fake: FakeRailway;
beforeAll(async () => {
  fake = await startFakeRailway();
  // The kit deploys random commits of this repository.
  fake.addRepo('vector-conformance/site', 'any');
});
afterAll(async () => {
  await fake.close();
});

deploymentProviderConformance({
  name: 'railway (local fake API)',
  create: async () => ({ provider: createRailwayProvider({ token: fake.token, baseUrl: fake.url, workspaceId: fake.workspaceId, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 } }) }),
  pollIntervalMs: 5,
  timeoutMs: 10_000,
});
