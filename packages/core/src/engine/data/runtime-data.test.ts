import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { createEnvRecordingProvider } from '../../../../../test-support/env-recording-provider.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

const schema = {
  tables: {
    todos: { columns: { title: { type: 'string', required: true }, done: { type: 'boolean', default: false } }, access: { read: true, insert: true, update: true, delete: false } },
    secrets: { columns: { value: { type: 'string' } } },
  },
};

describeEachDatabase('runtime data through deployment tokens', (database) => {
  let recording = createEnvRecordingProvider();
  const engine = useEngine(database, {
    providers: () => {
      recording = createEnvRecordingProvider();
      return [recording.provider];
    },
    overrides: { dataApiUrl: 'http://127.0.0.1:9/data/v1' },
  });

  async function publishedApp(scope = engine().scope) {
    const project = await scope.projects.create({ name: 'Todos' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [...sampleFiles('app'), { path: 'vector.data.json', content: JSON.stringify(schema) }], message: 'v1' });
    await scope.versions.publish({ projectId: project.id, versionId: version.id });
    return { project, version };
  }

  it('gives each deployment its data URL and token, scoped to its project and its branch, within the access rules', async () => {
    const { scope, vector } = engine();
    const { project, version } = await publishedApp();
    const production = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'production' });
    const preview = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    const productionEnv = recording.envs.get(production.id) ?? {};
    const previewEnv = recording.envs.get(preview.id) ?? {};
    expect(productionEnv).toMatchObject({ VECTOR_DATA_URL: 'http://127.0.0.1:9/data/v1', VITE_VECTOR_DATA_URL: 'http://127.0.0.1:9/data/v1' });
    expect(productionEnv.VECTOR_DATA_TOKEN).toMatch(/^vdt_/);
    expect(productionEnv.VITE_VECTOR_DATA_TOKEN).toBe(productionEnv.VECTOR_DATA_TOKEN);
    expect(previewEnv.VECTOR_DATA_TOKEN).not.toBe(productionEnv.VECTOR_DATA_TOKEN);
    // The token is handed to the deployment, never stored with it.
    expect(JSON.stringify(await scope.deployments.get(production.id))).not.toContain(productionEnv.VECTOR_DATA_TOKEN as string);

    const live = await vector.runtimeData(productionEnv.VECTOR_DATA_TOKEN as string);
    expect(live.principal).toMatchObject({ projectId: project.id, deploymentId: production.id, branch: 'production' });
    // Only tables with some access are listed.
    expect((await live.listTables()).map((table) => table.name)).toEqual(['todos']);
    const added = await live.insertRow('todos', { title: 'From the app' });
    expect(added.data).toEqual({ title: 'From the app', done: false });
    expect((await live.updateRow('todos', added.id, { done: true })).data).toEqual({ title: 'From the app', done: true });
    expect((await live.listRows('todos')).items.map((row) => row.data.title)).toEqual(['From the app']);
    // What the access rules refuse, and bad input, each with a clear code.
    await expect(live.deleteRow('todos', added.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(live.listRows('secrets')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(live.listRows('nope')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: ['table'] }] });
    await expect(live.insertRow('todos', { title: 3 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(live.insertRow('todos', { title: 'x', colour: 'red' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // The row history names the deployment.
    expect((await scope.data.listRowVersions(added.id)).map((change) => change.actor)).toEqual([`deployment:${production.id}`, `deployment:${production.id}`]);

    // The preview's token reaches the preview's copy only: its writes never reach production.
    const previewData = await vector.runtimeData(previewEnv.VECTOR_DATA_TOKEN as string);
    expect(previewData.principal.branch).toBe(`preview:${preview.id}`);
    expect((await previewData.listRows('todos')).items).toEqual([]);
    const draft = await previewData.insertRow('todos', { title: 'Only in the preview' });
    expect((await live.listRows('todos')).items.map((row) => row.data.title)).toEqual(['From the app']);
    // Neither token reaches the other's rows, even by id.
    await expect(live.getRow('todos', draft.id)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { entity: 'row', id: draft.id } });
    await expect(previewData.updateRow('todos', added.id, { done: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Destroyed (or expired) deployments' tokens stop working at once; forged ones never do.
    await scope.deployments.destroy(preview.id);
    await expect(vector.runtimeData(previewEnv.VECTOR_DATA_TOKEN as string)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const token = productionEnv.VECTOR_DATA_TOKEN as string;
    await expect(vector.runtimeData(`${token.slice(0, -2)}xx`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(vector.runtimeData('vdt_bm9wZQ.AAAA')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(vector.runtimeData('not a token')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('never lets one project’s token reach another project’s or organization’s data', async () => {
    const { scope, otherScope, vector, advanceClock } = engine();
    const mine = await publishedApp();
    const theirs = await publishedApp(otherScope);
    const mineDeployment = await scope.deployments.create({ projectId: mine.project.id, versionId: mine.version.id, environment: 'preview' });
    const theirDeployment = await otherScope.deployments.create({ projectId: theirs.project.id, versionId: theirs.version.id, environment: 'production' });
    const theirData = await vector.runtimeData(recording.envs.get(theirDeployment.id)?.VECTOR_DATA_TOKEN as string);
    const secret = await theirData.insertRow('todos', { title: 'Theirs' });
    const myData = await vector.runtimeData(recording.envs.get(mineDeployment.id)?.VECTOR_DATA_TOKEN as string);
    expect((await myData.listRows('todos')).items).toEqual([]);
    await expect(myData.getRow('todos', secret.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(myData.updateRow('todos', secret.id, { title: 'mine now' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await theirData.getRow('todos', secret.id)).data.title).toBe('Theirs');
    // A preview's token expires with the preview.
    advanceClock(2 * 86_400_000);
    await expect(vector.runtimeData(recording.envs.get(mineDeployment.id)?.VECTOR_DATA_TOKEN as string)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describeEachDatabase('data tokens, checked strictly', (database) => {
  let recording = createEnvRecordingProvider();
  let clock = Date.parse('2026-06-01T12:00:00.000Z');
  const engine = useEngine(database, {
    providers: () => {
      recording = createEnvRecordingProvider();
      return [recording.provider];
    },
    overrides: { dataApiUrl: 'http://127.0.0.1:9/data/v1', now: () => new Date(clock) },
  });
  const refused = { code: 'UNAUTHORIZED', message: 'The data token is not valid (unknown, or its deployment was destroyed or expired)' };

  async function deployed(environment: 'preview' | 'production', extra: { ttlSeconds?: number } = {}) {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Todos' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [...sampleFiles('app'), { path: 'vector.data.json', content: JSON.stringify(schema) }], message: 'v1' });
    await scope.versions.publish({ projectId: project.id, versionId: version.id });
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment, ...extra });
    return { project, deployment, token: recording.envs.get(deployment.id)?.VECTOR_DATA_TOKEN as string };
  }

  it('refuses any token but the exact one it made: another prefix, a swapped signature, extra parts, other spellings, not a string', async () => {
    const { vector } = engine();
    const first = await deployed('production');
    const second = await deployed('production');
    await expect(vector.runtimeData(first.token)).resolves.toMatchObject({ principal: { deploymentId: first.deployment.id } });
    const [id1, signature1] = first.token.slice(4).split('.');
    const [id2, signature2] = second.token.slice(4).split('.');
    // Each token signs its own deployment: a signature never fits another deployment.
    expect(signature1).not.toBe(signature2);
    for (const forged of [`vdt_${id1}.${signature2}`, `vdt_${id2}.${signature1}`, `vdx_${id1}.${signature1}`, `vdt_${id1}.${signature1}.x`, `vdt_${id1}==.${signature1}`, `vdt_${id1}.${signature1}==`, `vdt_${id1}.${signature1}!`, `vdt_.${signature1}`, `vdt_${id1}.`]) {
      await expect(vector.runtimeData(forged), forged).rejects.toMatchObject(refused);
    }
    await expect(vector.runtimeData(42 as unknown as string)).rejects.toMatchObject(refused);
  });

  it('works while the deployment is pending, building or live, until the moment it expires', async () => {
    const { vector, database: connection } = engine();
    const preview = await deployed('preview', { ttlSeconds: 60 });
    for (const status of ['pending', 'building', 'live']) {
      await connection.db.updateTable('vector_deployments').set({ status }).where('id', '=', preview.deployment.id).execute();
      await expect(vector.runtimeData(preview.token), status).resolves.toMatchObject({ principal: { deploymentId: preview.deployment.id } });
    }
    await connection.db.updateTable('vector_deployments').set({ status: 'failed' }).where('id', '=', preview.deployment.id).execute();
    await expect(vector.runtimeData(preview.token)).rejects.toMatchObject(refused);
    await connection.db.updateTable('vector_deployments').set({ status: 'live' }).where('id', '=', preview.deployment.id).execute();
    clock += 60_000 - 1;
    await expect(vector.runtimeData(preview.token)).resolves.toBeDefined();
    clock += 1;
    await expect(vector.runtimeData(preview.token)).rejects.toMatchObject(refused);
  });

  it('reads its signing key once, and reads it again after a failed read', async () => {
    const { vector, database: connection } = engine();
    const rename = (from: string, to: string) => sql`alter table ${sql.table(from)} rename to ${sql.table(to)}`.execute(connection.db);
    // The first read fails (the key's table is away): nothing is kept, the next read succeeds.
    await rename('vector_engine_secrets', 'secrets_away');
    await expect(vector.runtimeData('vdt_bm9wZQ.AAAA')).rejects.not.toMatchObject({ code: 'UNAUTHORIZED' });
    await rename('secrets_away', 'vector_engine_secrets');
    const live = await deployed('production');
    // Once read, the key is kept: tokens resolve without the table.
    await rename('vector_engine_secrets', 'secrets_away');
    await expect(vector.runtimeData(live.token)).resolves.toMatchObject({ principal: { deploymentId: live.deployment.id } });
    await rename('secrets_away', 'vector_engine_secrets');
  });

  it('checks the table name and access, names rows of other tables not found, and leaves writes to the row history, not the audit log', async () => {
    const { vector, scope } = engine();
    const live = await vector.runtimeData((await deployed('production')).token);
    await expect(live.listRows('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid table: /) });
    await expect(live.listRows('nope')).rejects.toMatchObject({
      message: 'There is no table nope; the tables are declared in vector.data.json',
      issues: [{ path: ['table'], message: 'unknown table nope' }],
    });
    await expect(live.deleteRow('todos', 'row-1')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: `todos's access rules do not allow delete (see "access" in vector.data.json)`,
      details: { table: 'todos', operation: 'delete' },
    });
    const row = await live.insertRow('todos', { title: 'x' });
    await expect(live.getRow('todos', '')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(live.getRow('todos', 'no-such-row')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { entity: 'row', id: 'no-such-row' } });
    expect((await live.getRow('todos', row.id)).data).toEqual({ title: 'x', done: false });
    await live.updateRow('todos', row.id, { done: true });
    expect((await scope.audit.list({})).items.filter((entry) => entry.action.startsWith('data_row.'))).toEqual([]);
  });
});
