import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeText } from '@vector/core';
import { afterAll, expect, it } from 'vitest';
import { dockerTestEnvironment, leftovers } from '../../provider-docker/test/docker-fixture.js';
import { nodeServerApp } from '../../provider-local/test/sample-apps.js';
import { combinePreviewSources, createPreviewGateway, loadConfig } from '../src/index.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { previewRequest } from './preview-request.js';

// VECTOR_DOCKER=true on the reference server: the Docker provider becomes the default, and its
// containers are served by the same preview gateway as local builds, by host name.
const docker = await dockerTestEnvironment();
const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

if (docker) {
  it('deploys to a container by default and serves it through the preview gateway', async () => {
    const buildsDir = await mkdtemp(join(tmpdir(), 'vector-server-docker-'));
    directories.push(buildsDir);
    let sources: ReturnType<typeof combinePreviewSources> | null = null;
    const gateway = createPreviewGateway({ baseUrl: 'http://{id}.preview.localhost/', source: { resolveUpstream: (id) => sources?.resolveUpstream(id) ?? null, getStatus: async (input) => (sources?.getStatus ? sources.getStatus(input) : { status: 'pending' }) } });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const previewPort = (gateway.server.address() as AddressInfo).port;
    const config = loadConfig({ PORT: '0', VECTOR_PREVIEW_PORT: '0', VECTOR_BUILDS_DIR: buildsDir, VECTOR_SQLITE_PATH: ':memory:', VECTOR_DOCKER: 'true', VECTOR_DOCKER_SOCKET: docker.socketPath, VECTOR_DOCKER_BASE_IMAGE: docker.baseImage });
    const runtime = await createRuntime(config, { info: () => undefined, warn: () => undefined }, { previewBaseUrl: `http://{id}.preview.localhost:${previewPort}/` });
    sources = combinePreviewSources(() => runtime.previewSources);
    let instance = '';
    try {
      expect([...runtime.vector.plugins.providers.keys()]).toEqual(['docker', 'local', 'static']);
      await runtime.vector.start();
      const actor = { type: 'user', id: 'alice' } as const;
      const organization = await runtime.vector.organizations.create({ name: 'Acme' }, actor);
      const scope = runtime.vector.scope({ organizationId: organization.id, actor });
      const project = await scope.projects.create({ name: 'server' });
      const files = nodeServerApp('from a container').map((file) => ({ path: file.path, content: decodeText(file.content) }));
      const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, message: 'v1', files });
      const created = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
      expect(created.provider).toBe('docker');
      const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 240_000 });
      expect(live.status, JSON.stringify(live.error)).toBe('live');
      const host = new URL(live.url as string).host;
      expect(host).toMatch(new RegExp(`^[a-z0-9]+\\.preview\\.localhost:${previewPort}$`));
      const page = await previewRequest({ port: previewPort, host });
      expect(page.status).toBe(200);
      expect(page.body).toContain('from a container');
      // The container gets its own environment only: nothing of this process's.
      expect(page.body).toContain('leaked=none');
      instance = (runtime.previewSources[0] as { instance?: string }).instance ?? '';
      await scope.deployments.destroy(created.id);
      expect((await previewRequest({ port: previewPort, host })).status).toBe(404);
    } finally {
      await runtime.close();
      await gateway.close();
    }
    expect(instance).not.toBe('');
    expect(await leftovers(docker.client, [instance])).toEqual([]);
  }, 300_000);
}
