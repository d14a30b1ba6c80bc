import { randomUUID } from 'node:crypto';
import { createMemoryStorage, createVector, decodeText, type SourceFile, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { clickCounter, inChromium, skipWithoutChromium } from '../../../test-support/chromium.js';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { sourceFiles, viteReactApp } from '../../provider-local/test/sample-apps.js';
import type { DockerProvider } from '../src/index.js';
import { dockerTestEnvironment, inspectContainer, leftovers } from './docker-fixture.js';

const docker = await dockerTestEnvironment();

/** A server that answers `body`; with `buildSeconds`, its build script takes that long first (never cached). */
function serverVersion(body: string, buildSeconds = 0): SourceFile[] {
  return sourceFiles({
    'package.json': JSON.stringify({ name: 'server', private: true, scripts: { start: 'node server.js', ...(buildSeconds > 0 ? { build: `node -e "setTimeout(() => {}, ${buildSeconds * 1000})"` } : {}) } }),
    // A fresh line each time, so no run reuses another's build from the cache.
    'server.js': `// ${randomUUID()}\nrequire('node:http').createServer((q, s) => s.end(${JSON.stringify(body)})).listen(Number(process.env.PORT), process.env.HOST);\n`,
  });
}

const asFileInputs = (files: SourceFile[]) => files.map((file) => ({ path: file.path, content: decodeText(file.content) }));

if (docker) {
  // Through the engine, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: every deployment
  // here ends destroyed through the engine, so nothing of ours may be left afterwards.
  describeEachDatabase('docker deployments through the engine', (database) => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    const start = async (): Promise<{ vector: Vector; provider: DockerProvider; scope: VectorScope; projectId: string; advance: (ms: number) => void }> => {
      const connection = await database.create();
      const provider = await docker.provider();
      let offset = 0;
      const vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [provider], deploymentPollIntervalMs: 50, now: () => new Date(Date.now() + offset) });
      const { scope, stop } = await startInOrganization(vector, connection, { type: 'user', id: 'alice' });
      cleanups.push(stop);
      const project = await scope.projects.create({ name: 'Docker app' });
      return { vector, provider, scope, projectId: project.id, advance: (ms) => (offset += ms) };
    };

    it('renders the Vite + React app in Chromium from a container, and a click changes the page', async () => {
      if (skipWithoutChromium()) return;
      const { scope, provider, projectId } = await start();
      const version = await scope.versions.create({ projectId, parentVersionId: null, message: 'Counter app', files: asFileInputs(viteReactApp()) });
      const created = await scope.deployments.create({ projectId, versionId: version.id, environment: 'preview' });
      const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 300_000 });
      expect(live.status, JSON.stringify(live.error)).toBe('live');
      const logs = (await scope.deployments.listLogs(created.id)).map((log) => log.message);
      expect(logs).toEqual(expect.arrayContaining([expect.stringContaining('build plan: spa with pnpm'), expect.stringMatching(/RUN pnpm exec tsc --noEmit/), expect.stringMatching(/^image built in/)]));

      await inChromium(live.url as string, async (page) => {
        await clickCounter(page, { fromZero: true });
        // A client-side route answers the app's index.html.
        const route = await page.goto(`${live.url}some/client/route`);
        expect(route?.status()).toBe(200);
        await page.getByRole('heading', { name: 'Hello from Vector' }).waitFor({ timeout: 15_000 });
      });
      const containerId = provider.containerId(live.providerDeploymentId as string) as string;
      await scope.deployments.destroy(created.id);
      expect(await inspectContainer(docker.client, containerId)).toBeNull();
    }, 400_000);

    it('expires a preview through the reaper, removing its container', async () => {
      const { vector, scope, provider, projectId, advance } = await start();
      const version = await scope.versions.create({ projectId, parentVersionId: null, message: 'server', files: asFileInputs(serverVersion('up')) });
      const created = await scope.deployments.create({ projectId, versionId: version.id, environment: 'preview' });
      const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 120_000 });
      expect(live.status, JSON.stringify(live.error)).toBe('live');
      expect(await (await fetch(live.url as string)).text()).toBe('up');
      const containerId = provider.containerId(live.providerDeploymentId as string) as string;
      expect(await inspectContainer(docker.client, containerId)).toMatchObject({ State: { Running: true } });
      advance(2 * 86_400_000);
      expect(await vector.reapExpiredPreviews()).toBe(1);
      expect((await scope.deployments.get(created.id)).status).toBe('destroyed');
      expect(await inspectContainer(docker.client, containerId)).toBeNull();
      await expect(fetch(live.url as string)).rejects.toThrow();
    }, 180_000);

    it('replaces production only once the new deployment is live, then destroys it on request', async () => {
      const { scope, provider, projectId } = await start();
      const v1 = await scope.versions.create({ projectId, parentVersionId: null, message: 'first', files: asFileInputs(serverVersion('first')) });
      const v2 = await scope.versions.create({ projectId, parentVersionId: v1.id, message: 'second', files: asFileInputs(serverVersion('second', 4)) });
      const first = await scope.deployments.create({ projectId, versionId: v1.id, environment: 'production' });
      const firstLive = await scope.deployments.waitForDeployment(first.id, { timeoutMs: 120_000 });
      expect(firstLive.status, JSON.stringify(firstLive.error)).toBe('live');
      const firstContainer = provider.containerId(firstLive.providerDeploymentId as string) as string;

      const second = await scope.deployments.create({ projectId, versionId: v2.id, environment: 'production' });
      // While the second builds (its build script takes seconds), the first still serves.
      await expect.poll(async () => (await scope.deployments.get(second.id)).status, { timeout: 60_000, interval: 50 }).toBe('building');
      expect((await scope.deployments.get(first.id)).status).toBe('live');
      expect(await (await fetch(firstLive.url as string)).text()).toBe('first');

      const secondLive = await scope.deployments.waitForDeployment(second.id, { timeoutMs: 120_000 });
      expect(secondLive.status, JSON.stringify(secondLive.error)).toBe('live');
      await expect.poll(async () => (await scope.deployments.get(first.id)).status, { timeout: 10_000 }).toBe('destroyed');
      expect(await inspectContainer(docker.client, firstContainer)).toBeNull();
      expect(await (await fetch(secondLive.url as string)).text()).toBe('second');

      const secondContainer = provider.containerId(secondLive.providerDeploymentId as string) as string;
      await scope.deployments.destroy(second.id);
      expect((await scope.deployments.get(second.id)).status).toBe('destroyed');
      expect(await inspectContainer(docker.client, secondContainer)).toBeNull();
    }, 240_000);
  });

  describe('after the engine suite', () => {
    it('leaves no container or image of ours (listed by label)', async () => {
      expect(docker.instances.size).toBeGreaterThan(0);
      expect(await leftovers(docker.client, docker.instances)).toEqual([]);
    });
  });
}
