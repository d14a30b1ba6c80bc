import { deploymentProviderConformance } from '@vector/core/testing';
import { createRenderProvider } from '../src/index.js';
import { startFakeRenderApi } from './fake-render-api.js';

deploymentProviderConformance({
  name: 'render (fake Render API)',
  create: async () => {
    const fake = await startFakeRenderApi();
    return {
      provider: createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 } }),
      cleanup: () => fake.close(),
    };
  },
  pollIntervalMs: 1,
  timeoutMs: 5000,
});
