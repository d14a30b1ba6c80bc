import { type AgentEvent, type BuildChecker, CancelledError, ProviderError, ValidationError } from '@vector/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatBuildErrors } from '../src/check-project.js';
import { loadCodegenPrompts } from '../src/index.js';
import { agentFor, collect, intentAndPlan, markerBuildChecker, resultOf, runContext, validationsOf, viteApp } from './agent-test-helpers.js';
import { useFakeOpenAIServer } from './fake-openai-server.js';

const fake = useFakeOpenAIServer();
beforeEach(() => {
  fake.reset();
});

const messagesOf = (index: number) => JSON.stringify(fake.requests[index]?.body.messages);

const finish = (message: string) => ({ toolCalls: [{ name: 'finish', arguments: { commit_message: message, summary: `${message}.` } }] });
const breakApp = { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '<h1>Hello</h1>', replace: '<h1>{BUILD_BREAKS_HERE}</h1>' }] } }] };

describe('codegen agent with a build checker', () => {
  it('sends located build diagnostics back to the model and saves once the build passes', async () => {
    const checker = markerBuildChecker();
    fake.enqueue(
      ...intentAndPlan('edit', ['Show a greeting']),
      breakApp,
      finish('Show a greeting'),
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '{BUILD_BREAKS_HERE}', replace: 'Hello, world' }] } }] },
      finish('Show a greeting that builds'),
    );
    const { events, error } = await collect(agentFor(fake, { buildChecker: checker }).run(runContext({ files: viteApp(), message: 'Greet the world' })));
    expect(error).toBeNull();
    expect(validationsOf(events)).toEqual([
      { type: 'validation', status: 'failed', round: 1, check: 'build', errors: ["src/App.tsx:2:15: error TS2304: Cannot find name 'BUILD_BREAKS_HERE'."] },
      { type: 'validation', status: 'passed', round: 2, check: 'build', errors: [] },
    ]);
    // The fix request carried the diagnostic to the model through the validation-fix prompt.
    expect(fake.requests).toHaveLength(6);
    expect(messagesOf(5)).toContain('Validation round 1 of 3');
    expect(messagesOf(5)).toContain("src/App.tsx:2:15: error TS2304: Cannot find name 'BUILD_BREAKS_HERE'.");
    expect(resultOf(events)).toMatchObject({ validationStatus: 'passed', validationCheck: 'build', commitMessage: 'Show a greeting that builds' });
    // Each check got the whole working copy, untouched base files included, as UTF-8 bytes.
    expect(checker.calls).toHaveLength(2);
    expect([...(checker.calls[0]?.files.keys() ?? [])].sort()).toEqual(Object.keys(viteApp()).sort());
    expect(checker.calls[0]?.files.get('src/App.tsx')).toContain('{BUILD_BREAKS_HERE}');
    expect(checker.calls[1]?.files.get('src/App.tsx')).toContain('Hello, world');
    expect(checker.calls[1]?.files.get('index.html')).toBe(viteApp()['index.html']);
  });

  it('bundles with esbuild when no checker is given', async () => {
    fake.enqueue(...intentAndPlan('edit'), breakApp, finish('Break the app'));
    const { events, error } = await collect(agentFor(fake, { maxFixRounds: 1 }).run(runContext({ files: viteApp(), message: 'Change it' })));
    expect(error).toBeNull();
    // esbuild does not type-check: an unknown name still bundles.
    expect(validationsOf(events)).toEqual([{ type: 'validation', status: 'passed', round: 1, check: 'bundle', errors: [] }]);
    expect(resultOf(events)).toMatchObject({ validationStatus: 'passed', validationCheck: 'bundle' });
  });

  it('passes the job signal to the checker, and a cancelled check cancels the job', async () => {
    const controller = new AbortController();
    let started!: () => void;
    const checking = new Promise<void>((resolve) => {
      started = resolve;
    });
    const checker = markerBuildChecker({
      pause: (signal) =>
        new Promise<void>((_, reject) => {
          started();
          signal?.addEventListener('abort', () => reject(new CancelledError({ message: 'The build check was cancelled', cause: signal.reason })), { once: true });
        }),
    });
    fake.enqueue(...intentAndPlan('edit'), breakApp, finish('Break the app'));
    const running = collect(agentFor(fake, { buildChecker: checker }).run(runContext({ files: viteApp(), message: 'Change it', signal: controller.signal })));
    await checking;
    controller.abort(new Error('user cancelled'));
    const { events, error } = await running;
    expect(error).toBeInstanceOf(CancelledError);
    expect(checker.calls[0]?.signal).toBe(controller.signal);
    expect(validationsOf(events)).toEqual([]);
    expect(resultOf(events)).toBeUndefined();
  });

  it('saves the output as failed when the build still fails after maxFixRounds', async () => {
    const checker = markerBuildChecker();
    fake.enqueue(...intentAndPlan('edit'), breakApp, finish('Break the app'), finish('Still broken'));
    const { events, error } = await collect(agentFor(fake, { buildChecker: checker, maxFixRounds: 1 }).run(runContext({ files: viteApp(), message: 'Change it' })));
    expect(error).toBeNull();
    expect(validationsOf(events).map((event) => [event.status, event.check, event.round])).toEqual([['failed', 'build', 1], ['failed', 'build', 2]]);
    const result = resultOf(events);
    expect(result).toMatchObject({ validationStatus: 'failed', validationCheck: 'build', commitMessage: 'Still broken' });
    expect(result?.summary).toContain('still does not build after 2 validation rounds');
    expect(result?.summary).toContain('src/App.tsx:2:15');
    expect(result?.changes.map((change) => change.path)).toEqual(['src/App.tsx']);
  });

  it('sends the failed step and the end of its output when no diagnostic is located', async () => {
    const checker = markerBuildChecker();
    const withoutBuildScript = { ...viteApp(), 'package.json': JSON.stringify({ name: 'app', dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' } }) };
    fake.enqueue(
      ...intentAndPlan('edit'),
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: 'Hello', replace: 'Hi' }] } }] },
      finish('Say hi'),
      { toolCalls: [{ name: 'write_file', arguments: { path: 'package.json', content: viteApp()['package.json'] } }] },
      finish('Say hi and add the build script'),
    );
    const { events, error } = await collect(agentFor(fake, { buildChecker: checker }).run(runContext({ files: withoutBuildScript, message: 'Say hi' })));
    expect(error).toBeNull();
    const [first] = validationsOf(events);
    expect(first?.errors).toEqual(['The build step failed; the end of its output:\nERR_PNPM_NO_SCRIPT  Missing script: build\n\nCommand "build" not found.']);
    expect(messagesOf(5)).toContain('Missing script: build');
    expect(resultOf(events)).toMatchObject({ validationStatus: 'passed', validationCheck: 'build' });
  });

  it('falls back to the bundle check with a warning when the checker cannot run', async () => {
    const broken = { ...markerBuildChecker(), check: async () => Promise.reject(new ProviderError({ message: 'pnpm is not installed', provider: 'local' })) };
    fake.enqueue(...intentAndPlan('edit'), { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: 'Hello', replace: 'Hi' }] } }] }, finish('Say hi'));
    const { events, error } = await collect(agentFor(fake, { buildChecker: broken }).run(runContext({ files: viteApp(), message: 'Say hi' })));
    expect(error).toBeNull();
    const warning = events.find((event) => event.type === 'log' && event.level === 'warn');
    expect(warning).toMatchObject({ message: expect.stringContaining('The build check (marker) could not run') });
    expect(warning).toMatchObject({ message: expect.stringContaining('pnpm is not installed') });
    expect(validationsOf(events)).toEqual([{ type: 'validation', status: 'passed', round: 1, check: 'bundle', errors: [] }]);
    expect(resultOf(events)).toMatchObject({ validationStatus: 'passed', validationCheck: 'bundle' });
  });

  it('refuses an option that is not a v1 build checker', () => {
    // As a JavaScript caller could pass it.
    const fromJavaScript = (value: unknown) => value as BuildChecker;
    expect(() => agentFor(fake, { buildChecker: fromJavaScript({ specificationVersion: 'v2', name: 'x', check: async () => ({ status: 'passed', steps: [], diagnostics: [], output: '' }) }) })).toThrow(ValidationError);
    expect(() => agentFor(fake, { buildChecker: fromJavaScript({ specificationVersion: 'v1', name: 'x' }) })).toThrow(/specificationVersion 'v1' and a check function/);
  });
});

describe('formatBuildErrors', () => {
  it('caps located diagnostics at 20 and formats whatever location the tool gave', () => {
    const diagnostics = Array.from({ length: 25 }, (_, index) => ({ file: `src/f${index}.ts`, line: index + 1, column: 2, message: `  problem ${index}\n` }));
    const errors = formatBuildErrors({ status: 'failed', steps: [{ name: 'typecheck', status: 'failed' }], diagnostics, output: 'x'.repeat(10_000) });
    expect(errors).toHaveLength(20);
    expect(errors[0]).toBe('src/f0.ts:1:2: problem 0');
    expect(formatBuildErrors({ status: 'failed', steps: [], diagnostics: [{ file: 'vite.config.ts', line: null, column: null, message: 'bad config' }], output: '' })).toEqual(['vite.config.ts: bad config']);
    const unlocated = formatBuildErrors({ status: 'failed', steps: [{ name: 'install', status: 'failed' }], diagnostics: [{ file: null, line: null, column: null, message: 'ERESOLVE' }], output: `${'a'.repeat(5_000)}END` });
    expect(unlocated[0]).toBe('ERESOLVE');
    expect(unlocated[1]?.startsWith('The install step failed; the end of its output:\n…')).toBe(true);
    expect(unlocated[1]?.endsWith('aEND')).toBe(true);
    expect(unlocated[1]?.length).toBeLessThan(4_100);
  });
});

describe('generate prompt', () => {
  it('asks for an app the build plan can install and build', async () => {
    const { generate } = await loadCodegenPrompts();
    for (const required of ['"dev": "vite"', '"build": "vite build"', '`vite` and `@vitejs/plugin-react` in `devDependencies`', '`react` and `react-dom` in `dependencies`', 'tsconfig.json', '<script type="module" src="/src/main.tsx"></script>', 'declared in package.json']) {
      expect(generate).toContain(required);
    }
  });
});
