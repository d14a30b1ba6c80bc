import { ProviderError } from '@vector/core';
import { deploymentProviderConformance } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { createDockerProvider } from '../src/index.js';
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
  });
}
