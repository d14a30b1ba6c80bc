import type { AgentEvent, AgentRunContext, BuildChecker, BuildCheckResult, BuildDiagnostic, JobBudgetInput } from '@vector/core';
import { decodeText } from '@vector/core';
import { createAgentTestContext } from '@vector/core/testing';
import OpenAI from 'openai';
import { createCodegenAgent } from '../src/index.js';
import type { CodegenAgentOptions } from '../src/index.js';
import type { FakeOpenAIServer, FakeTurn } from './fake-openai-server.js';

/** An AgentRunContext over in-memory files (core's test context), for agent-level tests. */
export function runContext(input: { files?: Record<string, string>; message: string; budget?: Partial<JobBudgetInput>; settings?: Record<string, unknown>; signal?: AbortSignal; history?: AgentRunContext['history'] }): AgentRunContext {
  return createAgentTestContext({
    message: input.message,
    files: Object.entries(input.files ?? {}).map(([path, content]) => ({ path, content })),
    budget: { maxSteps: 50, maxTokens: 1_000_000, ...input.budget },
    ...(input.settings ? { settings: input.settings } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.history ? { history: input.history } : {}),
  });
}

type ResultEvent = Extract<AgentEvent, { type: 'result' }>;
type ValidationEvent = Extract<AgentEvent, { type: 'validation' }>;
/** The run's `result` event, if any. */
export const resultOf = (events: ReadonlyArray<AgentEvent>) => events.find((event): event is ResultEvent => event.type === 'result');
/** The run's `validation` events, in order. */
export const validationsOf = (events: ReadonlyArray<AgentEvent>) => events.filter((event): event is ValidationEvent => event.type === 'validation');

/** The model calls an agent reported (its `step` events of kind `model`) with the given status. */
export function modelSteps(events: ReadonlyArray<AgentEvent>, status: 'succeeded' | 'failed' = 'succeeded') {
  return events.filter((event): event is Extract<AgentEvent, { type: 'step' }> => event.type === 'step' && event.kind === 'model' && (event.status ?? 'succeeded') === status);
}

/** Runs the agent to the end; returns the events, or the error it threw with the events so far. */
export async function collect(events: AsyncIterable<AgentEvent>): Promise<{ events: AgentEvent[]; error: unknown }> {
  const seen: AgentEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { events: seen, error: null };
  } catch (error) {
    return { events: seen, error };
  }
}

/** A codegen agent wired to the fake with a real `openai` client and tiny retry delays. */
export function agentFor(fake: FakeOpenAIServer, options: CodegenAgentOptions = {}) {
  return createCodegenAgent({ client: new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 }), model: 'test-model', intentModel: 'test-mini', retry: { maxRetries: 3, baseDelayMs: 5 }, ...options });
}

/** The turns every change request starts with: the intent answer and a plan. */
export function intentAndPlan(intent: string, steps: string[] = ['Change the files']): FakeTurn[] {
  return [{ text: intent }, { text: `Summary of the change.\n${steps.map((step, index) => `${index + 1}. ${step}`).join('\n')}` }];
}

/** The event types in order, with text deltas merged, for readable assertions. */
export function eventTypes(events: ReadonlyArray<{ type: string }>): string[] {
  return events.map((event) => event.type).filter((type, index, all) => type !== 'text_delta' || all[index - 1] !== 'text_delta');
}

/** A minimal valid Vite + React app. */
export function reactApp(title = 'Hello'): Record<string, string> {
  return {
    'index.html': '<!doctype html><html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
    'package.json': JSON.stringify({ name: 'app', private: true, dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' } }, null, 2),
    'src/main.tsx': "import { createRoot } from 'react-dom/client';\nimport { App } from './App';\n\ncreateRoot(document.getElementById('root')!).render(<App />);\n",
    'src/App.tsx': `export function App() {\n  return <h1>${title}</h1>;\n}\n`,
  };
}

/** {@link reactApp} as the generate prompt asks for it: dev and build scripts, Vite in devDependencies. */
export function viteApp(title = 'Hello'): Record<string, string> {
  return {
    ...reactApp(title),
    'package.json': JSON.stringify(
      { name: 'app', private: true, type: 'module', scripts: { dev: 'vite', build: 'vite build' }, dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' }, devDependencies: { vite: '^7.0.0', '@vitejs/plugin-react': '^5.0.0' } },
      null,
      2,
    ),
  };
}

/** A build checker that records what it was given. */
export interface RecordingBuildChecker extends BuildChecker {
  /** Each check's files (decoded as UTF-8) and signal, in order. */
  calls: Array<{ files: Map<string, string>; signal: AbortSignal | undefined }>;
}

/**
 * A small stand-in for a real build checker that really reads the files: a package.json
 * without a `build` script fails the build step with output only (no location); every line
 * containing `marker` is a located type error. `pause`, when given, runs before the result
 * (to test cancellation).
 */
export function markerBuildChecker(options: { marker?: string; pause?: (signal: AbortSignal | undefined) => Promise<void> } = {}): RecordingBuildChecker {
  const marker = options.marker ?? 'BUILD_BREAKS_HERE';
  const calls: RecordingBuildChecker['calls'] = [];
  return {
    specificationVersion: 'v1',
    name: 'marker',
    calls,
    async check({ files, signal }): Promise<BuildCheckResult> {
      const texts = new Map(files.map((file) => [file.path, decodeText(file.content)]));
      calls.push({ files: texts, signal });
      await options.pause?.(signal);
      const plan = { name: 'plan' as const, status: 'passed' as const, durationMs: 1 };
      const manifest = JSON.parse(texts.get('package.json') ?? '{}') as { scripts?: Record<string, string> };
      if (!manifest.scripts?.build) {
        return { status: 'failed', steps: [plan, { name: 'build', status: 'failed', durationMs: 2 }], diagnostics: [], output: ' ERR_PNPM_NO_SCRIPT  Missing script: build\n\nCommand "build" not found.\n' };
      }
      const diagnostics: BuildDiagnostic[] = [];
      for (const [path, text] of texts) {
        text.split('\n').forEach((line, index) => {
          const column = line.indexOf(marker);
          if (column >= 0) diagnostics.push({ file: path, line: index + 1, column: column + 1, message: `error TS2304: Cannot find name '${marker}'.` });
        });
      }
      const failed = diagnostics.length > 0;
      return {
        status: failed ? 'failed' : 'passed',
        steps: [plan, { name: 'install', status: 'passed', durationMs: 3 }, { name: 'typecheck', status: failed ? 'failed' : 'passed', durationMs: 4 }, { name: 'build', status: failed ? 'skipped' : 'passed', durationMs: failed ? 0 : 5 }],
        diagnostics,
        output: failed ? diagnostics.map((diagnostic) => `${diagnostic.file}(${diagnostic.line},${diagnostic.column}): ${diagnostic.message}`).join('\n') : '',
      };
    },
  };
}
