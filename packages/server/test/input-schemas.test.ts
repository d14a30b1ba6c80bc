import { envVarsSchema } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { sampleFiles, useServer } from './server-fixture.js';

const longest = `A${'b'.repeat(127)}`; // 128 characters: the limit
const tooLong = `A${'b'.repeat(128)}`; // 129 characters

describeEachDatabase('route bodies follow core’s input schemas', (database) => {
  const get = useServer(database);

  async function projectWithVersion() {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'env names' })).json as { id: string };
    const version = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'first' });
    expect(version.status).toBe(201);
    return { projectId: project.id, versionId: version.json.id as string };
  }

  async function engineCode(call: () => Promise<unknown>): Promise<string | null> {
    return call().then(
      () => null,
      (error: { code?: string }) => error.code ?? 'no code',
    );
  }

  it('a 128-character env or secret name is accepted and a 129-character one refused, over HTTP and in the engine alike', async () => {
    const { call, vector, organizationId } = get();
    const { projectId } = await projectWithVersion();
    const scope = vector.scope({ organizationId, actor: { type: 'user', id: 'test' } });

    for (const field of ['env', 'secrets'] as const) {
      const accepted = await call('POST', `/v1/projects/${projectId}/deployments`, { [field]: { [longest]: 'x' } });
      expect(accepted.status, `${field}: ${JSON.stringify(accepted.json)}`).toBe(202);
      await expect(scope.deployments.create({ projectId, environment: 'preview', [field]: { [longest]: 'x' } })).resolves.toMatchObject({ projectId });

      const refused = await call('POST', `/v1/projects/${projectId}/deployments`, { [field]: { [tooLong]: 'x' } });
      expect(refused.status, field).toBe(400);
      expect(refused.json.error.code).toBe('VALIDATION_FAILED');
      // Refused by the route's body schema itself, before the engine is called.
      expect(refused.json.error.message).toMatch(/^Invalid request/);
      expect(await engineCode(() => scope.deployments.create({ projectId, environment: 'preview', [field]: { [tooLong]: 'x' } }))).toBe(refused.json.error.code);
    }
  });

  it('publish refuses a bad deploy env name before publishing, over HTTP and in the engine alike', async () => {
    const { call, vector, organizationId } = get();
    const { projectId, versionId } = await projectWithVersion();
    const scope = vector.scope({ organizationId, actor: { type: 'user', id: 'test' } });

    const refused = await call('POST', `/v1/projects/${projectId}/publish`, { versionId, deploy: { env: { [tooLong]: 'x' } } });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('VALIDATION_FAILED');
    expect(await engineCode(() => scope.versions.publish({ projectId, versionId, deploy: { env: { [tooLong]: 'x' } } }))).toBe('VALIDATION_FAILED');
    expect((await call('GET', `/v1/projects/${projectId}`)).json.publishedVersionId).toBeNull();

    const published = await call('POST', `/v1/projects/${projectId}/publish`, { versionId, deploy: { env: { [longest]: 'x' } } });
    expect(published.status, JSON.stringify(published.json)).toBe(200);
    expect(published.json.deployment.envKeys).toEqual([longest]);
  });

  it('documents core’s env name rule in OpenAPI', async () => {
    const { app } = get();
    const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const expected = (z.toJSONSchema(envVarsSchema) as { propertyNames: unknown }).propertyNames;
    const deployBody = document.paths['/v1/projects/{projectId}/deployments'].post.requestBody.content['application/json'].schema;
    const publishBody = document.paths['/v1/projects/{projectId}/publish'].post.requestBody.content['application/json'].schema;
    for (const env of [deployBody.properties.env, deployBody.properties.secrets, publishBody.properties.deploy.properties.env, publishBody.properties.deploy.properties.secrets]) {
      expect(env.propertyNames).toEqual(expected);
    }
  });
});
