import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '@vector/core';
import { deploymentProviderConformance } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { createDockerProvider } from '../src/index.js';
import { removeContainer } from '../src/docker-resources.js';
import { deployFiles, dockerTestEnvironment, inspectContainer, labelKeys, leftovers, logText, settle } from './docker-fixture.js';
import { sourceFiles } from '../../provider-local/test/sample-apps.js';

const docker = await dockerTestEnvironment();

/** A Node HTTP server on PORT with no dependencies, answering with what it sees of its environment. */
function serverApp(body = 'hello from the container'): ReturnType<typeof sourceFiles> {
  return sourceFiles({
    'package.json': JSON.stringify({ name: 'server', private: true, type: 'module', scripts: { start: 'node server.js' } }),
    'server.js': `import { createServer } from 'node:http';\nimport { writeFileSync } from 'node:fs';\nconst port = Number(process.env.PORT);\nlet rootWritable = true;\ntry { writeFileSync('/app/probe', 'x'); } catch { rootWritable = false; }\ncreateServer((request, response) => {\n  response.setHeader('content-type', 'application/json');\n  response.end(JSON.stringify({ body: ${JSON.stringify(body)}, env: process.env, uid: process.getuid(), rootWritable }));\n}).listen(port, process.env.HOST, () => console.log('listening on ' + port));\n`,
  });
}

if (docker) {
  deploymentProviderConformance({
    name: 'docker',
    create: async () => ({ provider: await docker.provider() }),
    checkUrl: true,
    timeoutMs: 120_000,
    pollIntervalMs: 50,
  });

  describe('docker provider', () => {
    it('runs a server app in a limited, unprivileged, read-only container with only its own environment', async () => {
      process.env.VECTOR_TEST_HOST_SECRET = 'host-secret-value';
      try {
        const provider = await docker.provider({ memoryBytes: 256 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 64 });
        await provider.init?.();
        const state = await deployFiles(provider, serverApp(), { env: { GREETING: 'bonjour' }, secrets: { API_TOKEN: 'token-value-123' } });
        const live = await settle(provider, state.providerDeploymentId);
        expect(live.status, JSON.stringify(live.error)).toBe('live');
        expect(live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        const seen = (await (await fetch(live.url as string)).json()) as { body: string; env: Record<string, string>; uid: number; rootWritable: boolean };
        expect(seen.body).toBe('hello from the container');
        expect(seen.uid).toBe(65534);
        expect(seen.rootWritable).toBe(false);
        expect(seen.env).toMatchObject({ GREETING: 'bonjour', API_TOKEN: 'token-value-123', HOST: '127.0.0.1', PORT: new URL(live.url as string).port });
        expect(JSON.stringify(seen.env)).not.toContain('host-secret-value');
        expect(seen.env.TEST_DATABASE_URL).toBeUndefined();
        expect(seen.env.VECTOR_TEST_HOST_SECRET).toBeUndefined();

        const containerId = provider.containerId(state.providerDeploymentId) as string;
        const inspected = (await inspectContainer(docker.client, containerId)) as { Config: { Labels: Record<string, string>; User: string; Image: string }; HostConfig: Record<string, unknown> };
        expect(inspected.HostConfig).toMatchObject({ NetworkMode: 'host', Privileged: false, ReadonlyRootfs: true, Memory: 256 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 64, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] });
        expect(inspected.Config.User).toBe('65534:65534');
        expect(inspected.Config.Labels).toMatchObject({ [labelKeys.providerDeploymentId]: state.providerDeploymentId, [labelKeys.instance]: provider.instance });
        // The secret reached the container at run time only: not the image, not the logs.
        const history = await docker.client.json<Array<{ CreatedBy: string }>>('GET', `/images/${inspected.Config.Image}/history`);
        expect(JSON.stringify(history)).not.toContain('token-value-123');
        const image = await docker.client.json<{ Config: { Env: string[] } }>('GET', `/images/${inspected.Config.Image}/json`);
        expect(JSON.stringify(image.Config.Env)).not.toContain('token-value-123');
        const logs = await logText(provider, state.providerDeploymentId);
        expect(logs).toContain('build plan: server');
        expect(logs).toContain('listening on');
        expect(logs).not.toContain('token-value-123');
      } finally {
        delete process.env.VECTOR_TEST_HOST_SECRET;
      }
    }, 180_000);

    it('fails a project Dockerfile that does not build, with the daemon\'s own message', async () => {
      const provider = await docker.provider();
      await provider.init?.();
      const files = sourceFiles({ Dockerfile: `FROM ${docker.baseImage}\nRUN echo about to fail && exit 3\n`, 'index.html': '<h1>never</h1>' });
      const state = await settle(provider, (await deployFiles(provider, files)).providerDeploymentId);
      expect(state.status).toBe('failed');
      expect(state.error?.code).toBe('BUILD_FAILED');
      // BuildKit: "… exit code: 3"; the classic builder: "… returned a non-zero code: 3".
      expect(state.error?.message).toMatch(/exit code: 3|non-zero code: 3/);
      expect(state.error?.message).toContain('about to fail');
      const logs = await logText(provider, state.providerDeploymentId);
      expect(logs).toContain('building with the project’s own Dockerfile');
      expect(logs).toContain('about to fail');
    }, 120_000);

    it('fails when the base image is not on the daemon, with the daemon\'s message, and never pulls', async () => {
      const provider = await docker.provider({ baseImage: 'vector-test/missing-base:1' });
      await provider.init?.();
      const state = await settle(provider, (await deployFiles(provider, serverApp())).providerDeploymentId);
      expect(state.status).toBe('failed');
      expect(state.error?.code).toBe('IMAGE_NOT_FOUND');
      expect(state.error?.message).toContain('No such image: vector-test/missing-base:1');
    }, 60_000);

    it('fails a container that never answers HTTP within the start timeout, with its output, and removes it', async () => {
      const provider = await docker.provider({ startTimeoutMs: 2000 });
      await provider.init?.();
      const files = sourceFiles({ 'package.json': JSON.stringify({ name: 'x', private: true, scripts: { start: 'node idle.js' } }), 'idle.js': "console.log('warming up forever');\nsetInterval(() => {}, 1000);\n" });
      const state = await deployFiles(provider, files);
      await expect.poll(() => provider.containerId(state.providerDeploymentId), { timeout: 60_000 }).not.toBeNull();
      const containerId = provider.containerId(state.providerDeploymentId) as string;
      const started = Date.now();
      const failed = await settle(provider, state.providerDeploymentId);
      expect(failed.status).toBe('failed');
      expect(failed.error?.code).toBe('START_FAILED');
      expect(failed.error?.message).toContain('did not answer HTTP on PORT=');
      expect(failed.error?.message).toContain('warming up forever');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await inspectContainer(docker.client, containerId)).toBeNull();
    }, 90_000);

    it('reports a container that stops after going live as failed', async () => {
      const provider = await docker.provider();
      await provider.init?.();
      const files = sourceFiles({
        'package.json': JSON.stringify({ name: 'x', private: true, scripts: { start: 'node server.js' } }),
        'server.js': "require('node:http').createServer((q, s) => { s.end('bye'); setTimeout(() => process.exit(3), 50); }).listen(process.env.PORT, process.env.HOST);\n",
      });
      const live = await settle(provider, (await deployFiles(provider, files)).providerDeploymentId);
      expect(live.status).toBe('live');
      await expect.poll(async () => (await provider.getStatus({ providerDeploymentId: live.providerDeploymentId })).status, { timeout: 15_000 }).toBe('failed');
      const failed = await provider.getStatus({ providerDeploymentId: live.providerDeploymentId });
      expect(failed.error).toMatchObject({ code: 'APP_EXITED', message: expect.stringContaining('exit 3') });
    }, 90_000);

    it('caches the install: a second deploy with the same dependencies reuses the installed layer', async () => {
      const provider = await docker.provider();
      await provider.init?.();
      const appWith = (greeting: string) =>
        sourceFiles({
          'package.json': JSON.stringify({ name: 'dependent', private: true, type: 'module', scripts: { start: 'node server.js' }, dependencies: { ms: '2.1.3' } }),
          'server.js': `import { createServer } from 'node:http';\nimport ms from 'ms';\ncreateServer((q, s) => s.end(${JSON.stringify(greeting)} + ' ' + ms(90000))).listen(Number(process.env.PORT), process.env.HOST);\n`,
        });
      const first = await settle(provider, (await deployFiles(provider, appWith('first'))).providerDeploymentId);
      expect(first.status, JSON.stringify(first.error)).toBe('live');
      expect(await (await fetch(first.url as string)).text()).toBe('first 2m');
      const started = Date.now();
      const second = await settle(provider, (await deployFiles(provider, appWith('second'))).providerDeploymentId);
      const seconds = (Date.now() - started) / 1000;
      expect(second.status, JSON.stringify(second.error)).toBe('live');
      expect(await (await fetch(second.url as string)).text()).toBe('second 2m');
      const logs = await logText(provider, second.providerDeploymentId);
      // BuildKit marks a reused step CACHED; the classic builder says "Using cache".
      expect(logs).toMatch(/CACHED \[[^\]]+\] RUN .*pnpm install|Using cache/);
      expect(seconds).toBeLessThan(30);
    }, 180_000);

    it('builds with the classic builder too', async () => {
      const provider = await docker.provider({ builder: 'classic' });
      await provider.init?.();
      const live = await settle(provider, (await deployFiles(provider, serverApp('classic'))).providerDeploymentId);
      expect(live.status, JSON.stringify(live.error)).toBe('live');
      expect(((await (await fetch(live.url as string)).json()) as { body: string }).body).toBe('classic');
      expect(await logText(provider, live.providerDeploymentId)).toContain('with the classic builder');
      const broken = sourceFiles({ Dockerfile: `FROM ${docker.baseImage}\nRUN exit 3\n` });
      const failed = await settle(provider, (await deployFiles(provider, broken)).providerDeploymentId);
      expect(failed.error).toMatchObject({ code: 'BUILD_FAILED', message: expect.stringContaining("returned a non-zero code: 3") });
      // The classic builder labels in steps of their own: destroy removes those images too.
      await provider.destroy({ providerDeploymentId: live.providerDeploymentId });
      expect(await leftovers(docker.client, [provider.instance])).toEqual([]);
    }, 120_000);

    it('reconciles on init: adopts running containers, fails deployments whose container is gone, removes containers whose deployment is gone', async () => {
      const stateDir = await mkdtemp(join(tmpdir(), 'vector-docker-reconcile-'));
      try {
        const first = await docker.provider({ stateDir });
        await first.init?.();
        const [kept, lost, gone] = await Promise.all(['kept', 'lost', 'gone'].map(async (body) => settle(first, (await deployFiles(first, serverApp(body))).providerDeploymentId)));
        for (const state of [kept, lost, gone]) expect(state?.status).toBe('live');
        const keptId = kept?.providerDeploymentId as string;
        const lostId = lost?.providerDeploymentId as string;
        const goneId = gone?.providerDeploymentId as string;
        const goneContainer = first.containerId(goneId) as string;
        await first.dispose?.();
        // Containers outlive the provider.
        expect(((await (await fetch(kept?.url as string)).json()) as { body: string }).body).toBe('kept');
        // While it is down, one container is removed behind its back, and one deployment's record disappears.
        await removeContainer(docker.client, first.containerId(lostId) as string);
        await rm(join(stateDir, `${goneId}.json`));

        const second = await docker.provider({ stateDir });
        await second.init?.();
        expect(second.reconciled.adopted).toEqual([keptId]);
        expect(second.reconciled.failed).toEqual([lostId]);
        expect(second.reconciled.removedContainers).toContain(goneContainer);
        expect(second.reconciled.removedImages.length).toBe(2);
        expect(await second.getStatus({ providerDeploymentId: keptId })).toMatchObject({ status: 'live', url: kept?.url });
        expect(((await (await fetch(kept?.url as string)).json()) as { body: string }).body).toBe('kept');
        expect((await second.getStatus({ providerDeploymentId: lostId })).error).toMatchObject({ code: 'CONTAINER_GONE', message: expect.stringContaining('is gone') });
        expect((await second.getStatus({ providerDeploymentId: goneId })).status).toBe('failed');
        expect(await inspectContainer(docker.client, goneContainer)).toBeNull();

        const keptContainer = second.containerId(keptId) as string;
        await second.destroy({ providerDeploymentId: keptId });
        expect(await inspectContainer(docker.client, keptContainer)).toBeNull();
        expect(await leftovers(docker.client, [second.instance])).toEqual([]);
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    }, 180_000);

    it('ends a build that runs past its time limit, and a destroy cancels a build in flight', async () => {
      const provider = await docker.provider({ buildTimeoutMs: 3000 });
      await provider.init?.();
      const slow = (marker: string) => sourceFiles({ Dockerfile: `FROM ${docker.baseImage}\nRUN echo ${marker} && node -e "setTimeout(() => {}, 600000)"\n` });
      const started = Date.now();
      const timedOut = await settle(provider, (await deployFiles(provider, slow(`slow-${Date.now()}`))).providerDeploymentId);
      expect(timedOut.error).toMatchObject({ code: 'BUILD_FAILED', message: expect.stringContaining('ran past its time limit (3 s)') });
      expect(Date.now() - started).toBeLessThan(20_000);

      const patient = await docker.provider();
      await patient.init?.();
      const building = await deployFiles(patient, slow(`destroyed-${Date.now()}`));
      await expect.poll(async () => logText(patient, building.providerDeploymentId), { timeout: 30_000 }).toContain('RUN echo destroyed-');
      const destroying = Date.now();
      await patient.destroy({ providerDeploymentId: building.providerDeploymentId });
      expect(Date.now() - destroying).toBeLessThan(10_000);
      expect((await patient.getStatus({ providerDeploymentId: building.providerDeploymentId })).status).toBe('destroyed');
      expect(await leftovers(docker.client, [patient.instance])).toEqual([]);
    }, 120_000);

    it('refuses with a clear ProviderError naming the socket when the daemon is unreachable', async () => {
      const provider = createDockerProvider({ socketPath: '/tmp/vector-no-such-docker.sock', stateDir: '/tmp/vector-docker-unreachable-state' });
      const error = await provider.init?.().then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(ProviderError.isInstance(error)).toBe(true);
      expect((error as ProviderError).message).toContain('Cannot reach the Docker daemon at unix:///tmp/vector-no-such-docker.sock');
      expect((error as ProviderError).isRetryable).toBe(true);
      await expect(deployFiles(provider, serverApp())).rejects.toThrow(/unix:\/\/\/tmp\/vector-no-such-docker\.sock/);
    });

    it('validates its options, naming the field', () => {
      expect(() => createDockerProvider({ publicUrl: 'http://preview.localhost/' })).toThrow(/publicUrl/);
      expect(() => createDockerProvider({ memoryBytes: 10 })).toThrow(/memoryBytes/);
      expect(() => createDockerProvider({ user: 'root' })).toThrow(/user/);
    });
  });
}
