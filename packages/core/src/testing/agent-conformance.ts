import type { Agent } from '../plugins/agent.js';
import type { SourceFile } from '../schemas/source-file.js';
import { agentConformanceCases, type AgentScenario, type AgentSubject } from './agent-conformance-cases.js';
import { runConformanceSuite } from './conformance-suite.js';

/** Options of {@link agentConformance}. */
export interface AgentConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  /**
   * A fresh agent for one test, set up for `scenario`: `complete` must run to a `result`;
   * `long-running` must keep emitting events long enough to be cancelled after the first
   * (e.g. a fake model server that streams slowly). `message` and `files` override the
   * kit's defaults. The kit calls `init()`, and after the test `dispose()` then `cleanup()`.
   */
  create: (scenario: AgentScenario) => Promise<{ agent: Agent; message?: string; files?: SourceFile[]; cleanup?: () => Promise<void> }>;
  /** Test names to skip (see {@link agentConformanceTests}); unknown names throw. */
  skip?: ReadonlyArray<string>;
  /** How long a cancelled run may take to stop. Default 10000. */
  stopTimeoutMs?: number;
}

export type { AgentScenario };

/** Names of the agent conformance tests, for `skip`. */
export const agentConformanceTests: ReadonlyArray<string> = agentConformanceCases.map((entry) => entry.name);

/**
 * The agent contract's conformance suite: runs the agent on a real `AgentRunContext`
 * (see `createAgentTestContext`) and checks every event against `agentEventSchema`, that a
 * run ends with exactly one `result` with valid paths, sane usage, and that an aborted
 * signal stops the run without a `result`.
 *
 * @example
 * ```ts
 * agentConformance({
 *   name: 'my agent',
 *   create: async (scenario) => ({ agent: createMyAgent({ baseUrl: fakeModel.url(scenario) }) }),
 * });
 * ```
 */
export function agentConformance(options: AgentConformanceOptions): void {
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  runConformanceSuite<AgentSubject>({
    title: `agent conformance: ${options.name}`,
    cases: agentConformanceCases,
    skip: options.skip,
    timeoutMs: stopTimeoutMs * 2 + 30_000,
    create: async () => {
      // Each case creates the scenario it needs; teardown covers every instance it made.
      const teardowns: Array<() => Promise<void>> = [];
      const subject: AgentSubject = {
        stopTimeoutMs,
        start: async (scenario) => {
          const created = await options.create(scenario);
          let initialized = false;
          teardowns.push(async () => {
            try {
              if (initialized) await created.agent.dispose?.();
            } finally {
              await created.cleanup?.();
            }
          });
          await created.agent.init?.();
          initialized = true;
          return created;
        },
      };
      const teardown = async () => {
        const errors: unknown[] = [];
        for (const step of teardowns.reverse()) await step().catch((error: unknown) => errors.push(error));
        if (errors.length > 0) throw errors[0];
      };
      return { subject, teardown };
    },
  });
}
