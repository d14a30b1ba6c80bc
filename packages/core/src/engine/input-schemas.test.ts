import { describe, expect, it } from 'vitest';
import { createDeploymentInputFieldsSchema, envVarsSchema, publishVersionInputSchema, requireDistinctEnvAndSecrets } from '../schemas/inputs.js';
import { describeEachDatabase } from '../testing/test-databases.js';
import { sampleFiles, useEngine } from '../testing/engine-fixture.js';

const longest = `A${'b'.repeat(127)}`; // 128 characters: the limit
const tooLong = `A${'b'.repeat(128)}`; // 129 characters

async function codeOf(call: () => Promise<unknown>): Promise<string | null> {
  return call().then(
    () => null,
    (error: { code?: string }) => error.code ?? 'no code',
  );
}

describe('exported input schemas', () => {
  it('have one rule for env and secret names: letters, digits and _, not starting with a digit, at most 128 characters', () => {
    expect(longest).toHaveLength(128);
    expect(envVarsSchema.safeParse({ [longest]: 'x', _X1: 'y' }).success).toBe(true);
    for (const name of [tooLong, '1ABC', 'BAD NAME', 'A-B', '']) expect(envVarsSchema.safeParse({ [name]: 'x' }).success, name).toBe(false);
    expect(envVarsSchema.safeParse({ A: 'x'.repeat(32_769) }).success).toBe(false);
  });

  it('apply the same rule to publish’s deploy options', () => {
    const input = { projectId: 'p', versionId: 'v' };
    expect(publishVersionInputSchema.safeParse({ ...input, deploy: { env: { [longest]: 'x' } } }).success).toBe(true);
    expect(publishVersionInputSchema.safeParse({ ...input, deploy: { env: { [tooLong]: 'x' } } }).success).toBe(false);
    expect(publishVersionInputSchema.safeParse({ ...input, deploy: { secrets: { 'NOT OK': 'x' } } }).success).toBe(false);
    expect(publishVersionInputSchema.safeParse({ ...input, deploy: { env: { A: '1' }, secrets: { A: '2' } } }).success).toBe(false);
  });

  it('let a caller derive a body from the plain fields and keep the refinement', () => {
    const body = requireDistinctEnvAndSecrets(createDeploymentInputFieldsSchema.omit({ projectId: true }));
    expect(body.safeParse({ environment: 'preview', env: { [longest]: 'x' } }).success).toBe(true);
    expect(body.safeParse({ environment: 'preview', env: { [tooLong]: 'x' } }).success).toBe(false);
    expect(body.safeParse({ environment: 'preview', env: { A: '1' }, secrets: { A: '2' } }).success).toBe(false);
    // Names that exist on every object's prototype are ordinary names, not clashes.
    expect(body.safeParse({ environment: 'preview', env: { constructor: '1', toString: '2' } }).success).toBe(true);
  });
});

describeEachDatabase('env and secret names in the engine', (database) => {
  const engine = useEngine(database);

  it('deployments.create accepts a 128-character name and refuses a 129-character one with VALIDATION_FAILED', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'env names' });
    await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });

    const env = await scope.deployments.create({ projectId: project.id, environment: 'preview', env: { [longest]: 'x' } });
    expect(env.envKeys).toEqual([longest]);
    const secret = await scope.deployments.create({ projectId: project.id, environment: 'preview', secrets: { [longest]: 's' } });
    expect(secret.status).not.toBe('failed');

    expect(await codeOf(() => scope.deployments.create({ projectId: project.id, environment: 'preview', env: { [tooLong]: 'x' } }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => scope.deployments.create({ projectId: project.id, environment: 'preview', secrets: { [tooLong]: 's' } }))).toBe('VALIDATION_FAILED');
  });

  it('versions.publish checks deploy env names before it publishes', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'publish env' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });

    expect(await codeOf(() => scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: { env: { [tooLong]: 'x' } } }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(() => scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: { env: { 'NOT A NAME': 'x' } } }))).toBe('VALIDATION_FAILED');
    expect((await scope.projects.get(project.id)).publishedVersionId).toBeNull();

    const published = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: { env: { [longest]: 'x' } } });
    expect(published.project.publishedVersionId).toBe(v1.id);
    expect(published.deployment?.envKeys).toEqual([longest]);
  });
});
