import { createMemoryStorage, createVector, decodeText, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, expect, it } from 'vitest';
import { clickCounter, inChromium, skipWithoutChromium } from '../../../test-support/chromium.js';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { createLocalProvider } from '../src/index.js';
import { cacheDir, makeStateDir, processAlive } from './local-fixture.js';
import { viteReactApp } from './sample-apps.js';

// The promise end to end, through the engine: a version of a real Vite + React + TypeScript
// app (packages from the npm registry, cached) is deployed as a preview, and a real browser
// renders it and clicks it.
describeEachDatabase('local previews through the engine', (database) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(): Promise<{ vector: Vector; scope: VectorScope; local: ReturnType<typeof createLocalProvider>; advance: (ms: number) => void }> {
    const connection = await database.create();
    const { stateDir, remove } = await makeStateDir();
    cleanups.push(remove);
    const local = createLocalProvider({ stateDir, cacheDir, maxCachedOutputs: 0 });
    let offset = 0;
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [local], deploymentPollIntervalMs: 50, now: () => new Date(Date.now() + offset) });
    const { scope, stop } = await startInOrganization(vector, connection, { type: 'user', id: 'alice' });
    cleanups.push(stop);
    return { vector, scope, local, advance: (ms) => (offset += ms) };
  }

  it('renders the app in Chromium, and a click changes the page', async () => {
    if (skipWithoutChromium()) return;
    const { scope } = await start();
    const project = await scope.projects.create({ name: 'Counter' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, message: 'Counter app', files: viteReactApp().map((file) => ({ path: file.path, content: decodeText(file.content) })) });
    const created = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 240_000 });
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    const logs = await scope.deployments.listLogs(created.id);
    expect(logs.map((log) => log.message)).toEqual(expect.arrayContaining([expect.stringContaining('build plan: spa'), expect.stringMatching(/built in/)]));

    await inChromium(live.url as string, (page) => clickCounter(page, { fromZero: true }));
  }, 300_000);

  it('expiry through the reaper stops the preview and leaves no process', async () => {
    const { vector, scope, local, advance } = await start();
    const project = await scope.projects.create({ name: 'Server' });
    const server = "require('node:http').createServer((q, s) => s.end('up')).listen(process.env.PORT, process.env.HOST);\n";
    const version = await scope.versions.create({
      projectId: project.id,
      parentVersionId: null,
      message: 'server',
      files: [
        { path: 'package.json', content: JSON.stringify({ name: 's', private: true, scripts: { start: 'node server.js' } }) },
        { path: 'server.js', content: server },
      ],
    });
    const created = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 60_000 });
    expect(live.status).toBe('live');
    expect(await (await fetch(live.url as string)).text()).toBe('up');
    const pids = local.processIds(live.providerDeploymentId as string);
    expect(pids).toHaveLength(1);
    advance(2 * 86_400_000);
    expect(await vector.reapExpiredPreviews()).toBe(1);
    expect((await scope.deployments.get(created.id)).status).toBe('destroyed');
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    await expect(fetch(live.url as string)).rejects.toThrow();
  }, 120_000);
});
