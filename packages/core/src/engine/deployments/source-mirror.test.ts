import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors/provider-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { defineSourceMirror } from '../../plugins/define-plugins.js';
import type { SourceMirror, SourceMirrorPublishInput } from '../../plugins/source-mirror.js';
import type { GitSource } from '../../plugins/storage-backend.js';
import { createMemoryStorage, createStaticProvider } from '../../reference/index.js';
import { decodeText } from '../../files/index.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { createGitOnlyProvider } from '../../../../../test-support/git-only-provider.js';

// An in-memory mirror: the commit SHA is a hash of the version id (same version, same
// commit), and every call is recorded with the files it loaded.
function createTestMirror() {
  const calls: Array<{ input: SourceMirrorPublishInput; files: Record<string, string> }> = [];
  const control = { failures: [] as Error[], lifecycle: [] as string[], answer: null as unknown };
  const mirror = defineSourceMirror({
    specificationVersion: 'v1',
    name: 'test-mirror',
    init: async () => {
      control.lifecycle.push('init');
    },
    dispose: async () => {
      control.lifecycle.push('dispose');
    },
    publish: async (input): Promise<GitSource> => {
      const files = Object.fromEntries((await input.getFiles()).map((file) => [file.path, decodeText(file.content)]));
      calls.push({ input, files });
      const failure = control.failures.shift();
      if (failure) throw failure;
      if (control.answer) return control.answer as GitSource;
      const commitSha = createHash('sha1').update(input.version.id).digest('hex');
      return { repositoryUrl: 'https://github.com/mirrors/apps', owner: 'mirrors', repository: 'apps', branch: `vector/${input.project.id}`, commitSha };
    },
  });
  return { mirror, calls, control };
}

describeEachDatabase('deployments through a source mirror', (database) => {
  let git = createGitOnlyProvider();
  let test = createTestMirror();
  const engine = useEngine(database, {
    providers: () => {
      git = createGitOnlyProvider();
      return [git.provider, createStaticProvider()];
    },
    // The fixture spreads its overrides once per test; the getter hands each engine a fresh mirror.
    overrides: {
      get sourceMirror() {
        test = createTestMirror();
        return test.mirror;
      },
    },
  });

  async function projectWithVersions() {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Site' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('first'), message: 'first' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>second</h1>' }], message: 'second' });
    return { project, v1, v2 };
  }

  it('deploys a version of git-less storage to a git-only provider through the mirror', async () => {
    const { scope, vector } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(deployment).toMatchObject({ status: 'live', provider: 'git-only', error: null });
    expect(test.calls).toHaveLength(1);
    const [call] = test.calls;
    expect(call?.input.project).toEqual({ id: project.id, organizationId: project.organizationId, name: 'Site' });
    expect(call?.input.version).toEqual({ id: v1.id, number: 1, storageRef: v1.storageRef, parentId: null, message: 'first', createdAt: v1.createdAt });
    expect(call?.files).toEqual(Object.fromEntries(sampleFiles('first').map((file) => [file.path, file.content])));
    const commitSha = createHash('sha1').update(v1.id).digest('hex');
    expect(git.built).toEqual([{ repositoryUrl: 'https://github.com/mirrors/apps', owner: 'mirrors', repository: 'apps', branch: `vector/${project.id}`, commitSha }]);
    const rows = await vector.db.selectFrom('vector_source_mirrors').selectAll().execute();
    expect(rows).toEqual([expect.objectContaining({ version_id: v1.id, mirror: 'test-mirror', project_id: project.id, organization_id: project.organizationId, commit_sha: commitSha, branch: `vector/${project.id}` })]);
  });

  it('reuses the stored commit when the same version is deployed again, without calling the mirror', async () => {
    const { scope } = engine();
    const { project, v1, v2 } = await projectWithVersions();
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    await scope.deployments.destroy(preview.id);
    const again = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(again.id).not.toBe(preview.id);
    expect(again.status).toBe('live');
    expect(test.calls).toHaveLength(1);
    expect(git.built).toHaveLength(3);
    expect(new Set(git.built.map((source) => source.commitSha)).size).toBe(1);

    // A new version is published once, naming the version it was built on.
    await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    expect(test.calls).toHaveLength(2);
    expect(test.calls[1]?.input.version).toMatchObject({ id: v2.id, number: 2, parentId: v1.id });
    expect(git.built[3]?.commitSha).not.toBe(git.built[0]?.commitSha);
  });

  it('stores one commit per version when two deployments publish it at once', async () => {
    const { scope, vector } = engine();
    const { project, v1 } = await projectWithVersions();
    const [preview, production] = await Promise.all([
      scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' }),
      scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' }),
    ]);
    expect([preview.status, production.status]).toEqual(['live', 'live']);
    expect(git.built.map((source) => source.commitSha)).toEqual([git.built[0]?.commitSha, git.built[0]?.commitSha]);
    expect(await vector.db.selectFrom('vector_source_mirrors').selectAll().execute()).toHaveLength(1);
  });

  it('leaves providers that take files, and storage with a git source, to themselves', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'static' });
    expect((await scope.deployments.waitForDeployment(deployment.id, { timeoutMs: 20_000 })).status).toBe('live');
    expect(test.calls).toHaveLength(0);
  });

  it('retries a mirror outage, and fails the deployment with the mirror error it cannot get past', async () => {
    const { scope, vector } = engine();
    const { project, v1, v2 } = await projectWithVersions();
    test.control.failures.push(new ProviderError({ provider: 'github', message: 'GitHub is down', status: 502 }));
    const recovered = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(recovered.status).toBe('live');
    expect(test.calls).toHaveLength(2);

    // A plain Error goes through guardPlugin like any plugin's.
    test.control.failures.push(new Error('repository is archived'));
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'INTERNAL', message: 'Source mirror test-mirror failed: repository is archived' });
    expect(git.built).toHaveLength(1);
    expect(await vector.db.selectFrom('vector_source_mirrors').select('version_id').execute()).toEqual([{ version_id: v1.id }]);

    // Nothing was stored for v2, so the next deployment publishes it.
    const retried = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    expect(retried.status).toBe('live');
  });

  it('refuses an invalid answer from the mirror', async () => {
    const { scope, vector } = engine();
    const { project, v1 } = await projectWithVersions();
    test.control.answer = { repositoryUrl: 'https://github.com/mirrors/apps', owner: 'mirrors', repository: 'apps', branch: 'main', commitSha: 'HEAD' };
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(deployment.status).toBe('failed');
    expect(deployment.error?.code).toBe('INTERNAL');
    expect(deployment.error?.message).toContain('commitSha');
    expect(await vector.db.selectFrom('vector_source_mirrors').selectAll().execute()).toHaveLength(0);
  });
});

describeEachDatabase('git-only providers without a source mirror', (database) => {
  const engine = useEngine(database, { providers: () => [createGitOnlyProvider().provider] });

  it("fail with the provider's UnsupportedError, which names sourceMirror", async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Site' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('x'), message: 'v1' });
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    expect(deployment.status).toBe('failed');
    expect(deployment.error?.code).toBe('UNSUPPORTED');
    expect(deployment.error?.message).toMatch(/^git-only builds git commits only; store the project in git\. Alternatively, configure createVector\(\{ sourceMirror \}\)/);
  });
});

describeEachDatabase('source mirror lifecycle', (database) => {
  it('is initialised and disposed once, with the other plugins', async () => {
    const connection = await database.create();
    const { mirror, control } = createTestMirror();
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], sourceMirror: mirror });
    try {
      expect(vector.plugins.sourceMirror?.name).toBe('test-mirror');
      await vector.start();
      await vector.migrate();
      expect(control.lifecycle).toEqual(['init']);
      await vector.dispose();
      expect(control.lifecycle).toEqual(['init', 'dispose']);
    } finally {
      await connection.destroy();
    }
  });
});

describe('defineSourceMirror', () => {
  const base = { specificationVersion: 'v1' as const, name: 'mirror', publish: async (): Promise<GitSource> => ({ repositoryUrl: 'https://github.com/a/b', owner: 'a', repository: 'b', branch: 'main', commitSha: 'a'.repeat(40) }) };

  it('checks the version, the name and publish()', () => {
    expect(defineSourceMirror(base)).toBe(base);
    expect(() => defineSourceMirror({ ...base, specificationVersion: 'v2' } as unknown as SourceMirror)).toThrow(ValidationError);
    expect(() => defineSourceMirror({ ...base, name: 'Mirror!' })).toThrow(/invalid/);
    expect(() => defineSourceMirror({ ...base, publish: undefined } as unknown as SourceMirror)).toThrow(/no publish/);
  });

  it('is refused by createVector when it implements another specification version', () => {
    expect(() => createVector({ database: { db: {}, dialect: 'sqlite' } as never, storage: [createMemoryStorage()], sourceMirror: { ...base, specificationVersion: 'v2' } as unknown as SourceMirror })).toThrow(/specification v2/);
  });
});
