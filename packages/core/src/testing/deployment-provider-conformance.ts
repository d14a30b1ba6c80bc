import type { DeploymentProvider } from '../plugins/deployment-provider.js';
import { runConformanceSuite } from './conformance-suite.js';
import { deploymentConformanceCases, type DeploymentSubject } from './deployment-conformance-cases.js';

/** Options of {@link deploymentProviderConformance}. */
export interface DeploymentProviderConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  /**
   * A fresh provider for one test (pointed at a fake server for SaaS adapters). The kit calls
   * `init()`, and after the test `dispose()` then `cleanup()`.
   */
  create: () => Promise<{ provider: DeploymentProvider; cleanup?: () => Promise<void> }>;
  /** Test names to skip (see {@link deploymentProviderConformanceTests}); unknown names throw. */
  skip?: ReadonlyArray<string>;
  /** How long a deployment may take to go live. Default 20000. */
  timeoutMs?: number;
  /** Delay between `getStatus` polls. Default 50. */
  pollIntervalMs?: number;
  /** Fetch the live URL and expect the deployed page's marker. Default false. */
  checkUrl?: boolean;
}

/** Names of the deployment conformance tests, for `skip`. */
export const deploymentProviderConformanceTests: ReadonlyArray<string> = deploymentConformanceCases.map((entry) => entry.name);

/**
 * The deployment contract's conformance suite: one vitest test per guarantee of
 * {@link DeploymentProvider}. Each deploy gets a source with both a plausible GitHub commit
 * (`git`) and an `index.html` carrying a unique marker (`getFiles()`). Tests needing an
 * undeclared capability (`logs`, the `production` environment) are skipped.
 *
 * @example
 * ```ts
 * deploymentProviderConformance({
 *   name: 'my platform',
 *   create: async () => ({ provider: createMyProvider({ baseUrl: fake.url, token: 'test' }) }),
 *   pollIntervalMs: 10,
 * });
 * ```
 */
export function deploymentProviderConformance(options: DeploymentProviderConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const settings = { timeoutMs, pollIntervalMs: options.pollIntervalMs ?? 50, checkUrl: options.checkUrl ?? false };
  runConformanceSuite<DeploymentSubject>({
    title: `deployment provider conformance: ${options.name}`,
    cases: deploymentConformanceCases,
    skip: options.skip,
    // Room for two deployments to go live plus teardown.
    timeoutMs: timeoutMs * 2 + 10_000,
    create: async () => {
      const created = await options.create();
      const { provider } = created;
      let initialized = false;
      const teardown = async () => {
        try {
          if (initialized) await provider.dispose?.();
        } finally {
          await created.cleanup?.();
        }
      };
      try {
        await provider.init?.();
        initialized = true;
      } catch (error) {
        await teardown();
        throw error;
      }
      return { subject: { provider, settings }, teardown };
    },
  });
}
