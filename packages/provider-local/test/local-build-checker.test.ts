import { describe, expect, it } from 'vitest';
import { createLocalBuildChecker } from '../src/index.js';
import { cacheDir } from './local-fixture.js';
import { sourceFiles, viteReactApp } from './sample-apps.js';

describe('local build checker', () => {
  const checker = createLocalBuildChecker({ cacheDir });

  it('passes an app that installs, type-checks and builds', async () => {
    const result = await checker.check({ files: viteReactApp() });
    expect(result).toMatchObject({ status: 'passed', diagnostics: [], output: '' });
    expect(result.steps.map((step) => [step.name, step.status])).toEqual([
      ['plan', 'passed'],
      ['install', 'passed'],
      ['typecheck', 'passed'],
      ['build', 'passed'],
    ]);
  }, 300_000);

  it('reports a type error as a located diagnostic', async () => {
    const result = await checker.check({ files: viteReactApp({ 'src/App.tsx': "export function App() {\n  return <h1>{missingName}</h1>;\n}\n" }) });
    expect(result.status).toBe('failed');
    expect(result.diagnostics[0]).toMatchObject({ file: 'src/App.tsx', line: 2, message: expect.stringContaining("TS2304: Cannot find name 'missingName'") });
    expect(result.steps.find((step) => step.name === 'typecheck')?.status).toBe('failed');
    expect(result.output).toContain('type check failed');
  }, 300_000);

  it('reports an unplannable project without running anything', async () => {
    const result = await checker.check({ files: sourceFiles({ 'notes.txt': 'hello' }) });
    expect(result.status).toBe('failed');
    expect(result.steps).toEqual([expect.objectContaining({ name: 'plan', status: 'failed' })]);
    expect(result.output).toContain('nothing to build or serve');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const files = sourceFiles({ 'package.json': JSON.stringify({ name: 'x', private: true, scripts: { build: 'sleep 600' } }), 'index.html': '<h1>x</h1>' });
    const running = checker.check({ files, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('job cancelled')), 500);
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
  }, 30_000);
});
