import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { sampleFiles, type ServerFixture, useServer } from './server-fixture.js';

const todos = (columns: Record<string, unknown>) => ({
  tables: { todos: { columns, indexes: [{ columns: ['title'] }], access: { read: true, insert: true, update: false, delete: false } } },
});
const v1Schema = todos({ title: { type: 'string', required: true }, done: { type: 'boolean', default: false } });
// Drops `done` (destructive) and adds `notes`.
const v2Schema = todos({ title: { type: 'string', required: true }, notes: { type: 'string', default: '' } });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Uploads a version on top of `parentVersionId` with `schema` as its `vector.data.json` (none when null). */
async function upload(call: ServerFixture['call'], projectId: string, parentVersionId: string | null, schema: unknown, marker: string) {
  const files = [...sampleFiles(marker), ...(schema === null ? [] : [{ path: 'vector.data.json', content: JSON.stringify(schema) }])];
  const response = await call('POST', `/v1/projects/${projectId}/versions`, { parentVersionId, files, message: marker });
  expect(response.status).toBe(201);
  return response.json as { id: string; number: number };
}

async function tableOf(call: ServerFixture['call'], projectId: string) {
  const tables = await call('GET', `/v1/projects/${projectId}/tables`);
  expect(tables.status).toBe(200);
  return tables.json.items as Array<{ id: string; name: string; columns: Array<{ name: string; default?: unknown }>; indexes: unknown[]; access: Record<string, boolean> }>;
}

async function rowsOf(call: ServerFixture['call'], tableId: string) {
  const rows = await call('GET', `/v1/tables/${tableId}/rows?orderBy=title`);
  expect(rows.status).toBe(200);
  return rows.json.items.map((row: { id: string; data: Record<string, unknown> }) => ({ id: row.id, data: row.data }));
}

describeEachDatabase('data schema as code over HTTP', (database) => {
  const get = useServer(database);

  it('migrates on publish, refuses destructive steps without the flag, keeps history and rolls back with data', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'todos' })).json;

    // Publishing a version with vector.data.json creates its tables, with their access rules.
    const v1 = await upload(call, project.id, null, v1Schema, 'v1');
    expect((await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v1.id })).status).toBe(200);
    const [table] = await tableOf(call, project.id);
    expect(table).toMatchObject({
      name: 'todos',
      columns: [{ name: 'title', type: 'string', required: true }, { name: 'done', type: 'boolean', required: false, default: false }],
      indexes: [{ columns: ['title'], unique: false }],
      access: { read: true, insert: true, update: false, delete: false },
    });
    const tableId = table?.id as string;
    const a = (await call('POST', `/v1/tables/${tableId}/rows`, { data: { title: 'a' } })).json;
    const b = (await call('POST', `/v1/tables/${tableId}/rows`, { data: { title: 'b', done: true } })).json;
    expect(a.data).toEqual({ title: 'a', done: false });
    await pause(25);
    const beforeV2 = new Date().toISOString();
    await pause(25);

    // A destructive publish without the flag: 400 naming the step, and nothing changes.
    const v2 = await upload(call, project.id, v1.id, v2Schema, 'v2');
    const refused = await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v2.id });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('VALIDATION_FAILED');
    expect(refused.json.error.message).toContain('drop column todos.done');
    expect(refused.json.error.details.issues).toEqual([{ path: ['allowDestructiveDataChanges'], message: 'drop column todos.done' }]);
    expect((await call('GET', `/v1/projects/${project.id}`)).json.publishedVersionId).toBe(v1.id);
    expect((await tableOf(call, project.id))[0]?.columns.map((column) => column.name)).toEqual(['title', 'done']);
    expect(await rowsOf(call, tableId)).toEqual([{ id: a.id, data: { title: 'a', done: false } }, { id: b.id, data: { title: 'b', done: true } }]);
    expect((await call('GET', `/v1/projects/${project.id}/data/migrations`)).json.items).toHaveLength(1);

    // With the flag it is applied.
    const published = await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v2.id, allowDestructiveDataChanges: true });
    expect(published.status).toBe(200);
    expect(published.json.project.publishedVersionId).toBe(v2.id);
    expect(await rowsOf(call, tableId)).toEqual([{ id: a.id, data: { title: 'a', notes: '' } }, { id: b.id, data: { title: 'b', notes: '' } }]);

    // The migrations, oldest first.
    const migrations = await call('GET', `/v1/projects/${project.id}/data/migrations`);
    expect(migrations.status).toBe(200);
    expect(migrations.json.items).toMatchObject([
      { projectId: project.id, environment: 'production', versionId: v1.id, fromVersionId: null, destructive: false, steps: [{ op: 'create_table', table: 'todos' }] },
      { versionId: v2.id, fromVersionId: v1.id, destructive: true },
    ]);
    expect(migrations.json.items[1].steps).toEqual(expect.arrayContaining([expect.objectContaining({ op: 'drop_column', table: 'todos', column: 'done' }), expect.objectContaining({ op: 'add_column', column: 'notes' })]));

    // A row's history: every change, the deletion included (it outlives the row).
    expect((await call('PATCH', `/v1/rows/${a.id}`, { data: { title: 'A' } })).status).toBe(200);
    expect((await call('DELETE', `/v1/rows/${b.id}`)).status).toBe(204);
    const aHistory = await call('GET', `/v1/rows/${a.id}/versions`);
    expect(aHistory.status).toBe(200);
    expect(aHistory.json.items.map((version: { data: unknown }) => version.data)).toEqual([{ title: 'a', done: false }, { title: 'a', notes: '' }, { title: 'A', notes: '' }]);
    expect(aHistory.json.items[0]).toMatchObject({ rowId: a.id, tableId, projectId: project.id, actor: expect.stringMatching(/^api_key:/), createdAt: expect.any(String) });
    const revisions = aHistory.json.items.map((version: { revision: number }) => version.revision);
    expect([...revisions].sort((x: number, y: number) => x - y)).toEqual(revisions);
    const bHistory = await call('GET', `/v1/rows/${b.id}/versions`);
    expect(bHistory.json.items.at(-1).data).toBeNull();
    expect((await call('GET', '/v1/rows/no-such-row/versions')).status).toBe(404);

    // The table as of before v2: both rows, with the old columns.
    const snapshot = await call('GET', `/v1/tables/${tableId}/snapshot?asOf=${encodeURIComponent(beforeV2)}`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.json.asOf).toBe(beforeV2);
    expect([...snapshot.json.items].sort((x: { data: { title: string } }, y: { data: { title: string } }) => x.data.title.localeCompare(y.data.title))).toEqual([
      { id: a.id, data: { title: 'a', done: false } },
      { id: b.id, data: { title: 'b', done: true } },
    ]);
    // An offset is the same moment; before any change there are no rows.
    const shifted = new Date(Date.parse(beforeV2)).toISOString().replace('Z', '+00:00');
    expect((await call('GET', `/v1/tables/${tableId}/snapshot?asOf=${encodeURIComponent(shifted)}`)).json.items).toHaveLength(2);
    expect((await call('GET', `/v1/tables/${tableId}/snapshot?asOf=2000-01-01T00:00:00Z`)).json).toEqual({ asOf: '2000-01-01T00:00:00.000Z', items: [] });
    for (const bad of ['yesterday', '2026-02-30T00:00:00Z', '2026-01-01', '2026-01-01T25:00:00Z', '']) {
      const response = await call('GET', `/v1/tables/${tableId}/snapshot?asOf=${encodeURIComponent(bad)}`);
      expect({ bad, status: response.status, code: response.json.error?.code }).toEqual({ bad, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await call('GET', `/v1/tables/${tableId}/snapshot`)).status).toBe(400);
    // `asOf` on the rows route says where the answer is rather than being ignored.
    const misplaced = await call('GET', `/v1/tables/${tableId}/rows?asOf=${encodeURIComponent(beforeV2)}`);
    expect(misplaced.status).toBe(400);
    expect(misplaced.json.error.message).toContain(`/v1/tables/${tableId}/snapshot`);

    // A version never published has no data state to roll back to.
    const unpublished = await upload(call, project.id, v2.id, v2Schema, 'v3');
    const never = await call('POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: unpublished.id, includeData: true });
    expect(never.status).toBe(400);
    expect(never.json.error.details.issues).toEqual([{ path: ['includeData'], message: expect.stringContaining('never published') }]);

    // Rolling back to v1 with its data: the code, the schema and the rows as v1 was published.
    const rollback = await call('POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: v1.id, includeData: true, expectedCurrentVersionId: unpublished.id });
    expect(rollback.status).toBe(201);
    expect(rollback.json).toMatchObject({ source: 'rollback', restoredFromId: v1.id });
    expect((await call('GET', `/v1/projects/${project.id}`)).json.publishedVersionId).toBe(rollback.json.id);
    const [restored] = await tableOf(call, project.id);
    expect(restored?.columns.map((column) => column.name)).toEqual(['title', 'done']);
    // v1 was published before any row was written: its data had the table and no rows.
    expect(await rowsOf(call, restored?.id as string)).toEqual([]);

    // Rolling back to v2 with data brings back the rows as v2 was published; the history keeps all of it.
    const forward = await call('POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: v2.id, includeData: true });
    expect(forward.status).toBe(201);
    const [again] = await tableOf(call, project.id);
    expect(await rowsOf(call, again?.id as string)).toEqual([{ id: a.id, data: { title: 'a', notes: '' } }, { id: b.id, data: { title: 'b', notes: '' } }]);
    expect((await call('GET', `/v1/rows/${a.id}/versions`)).json.items.length).toBeGreaterThan(aHistory.json.items.length);
  });

  it('migrates on a production deploy only with the flag when a step is destructive', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'deploys' })).json;
    const v1 = await upload(call, project.id, null, v1Schema, 'v1');
    expect((await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v1.id })).status).toBe(200);
    const tableId = (await tableOf(call, project.id))[0]?.id as string;
    expect((await call('POST', `/v1/tables/${tableId}/rows`, { data: { title: 'keep' } })).status).toBe(201);
    const v2 = await upload(call, project.id, v1.id, v2Schema, 'v2');

    // A preview never touches production data, destructive or not.
    expect((await call('POST', `/v1/projects/${project.id}/deployments`, { versionId: v2.id, environment: 'preview' })).status).toBe(202);
    const refused = await call('POST', `/v1/projects/${project.id}/deployments`, { versionId: v2.id, environment: 'production' });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain('drop column todos.done');
    expect((await call('GET', `/v1/projects/${project.id}/deployments?environment=production`)).json.items).toEqual([]);
    expect(await rowsOf(call, tableId)).toMatchObject([{ data: { title: 'keep', done: false } }]);

    const deployed = await call('POST', `/v1/projects/${project.id}/deployments`, { versionId: v2.id, environment: 'production', allowDestructiveDataChanges: true });
    expect(deployed.status).toBe(202);
    expect(await rowsOf(call, tableId)).toMatchObject([{ data: { title: 'keep', notes: '' } }]);
    expect((await call('GET', `/v1/projects/${project.id}/data/migrations?environment=production`)).json.items.map((migration: { versionId: string }) => migration.versionId)).toEqual([v1.id, v2.id]);
    // The preview's copy was migrated too, on its own branch.
    const all = (await call('GET', `/v1/projects/${project.id}/data/migrations`)).json.items as Array<{ environment: string; versionId: string }>;
    expect(all.filter((migration) => migration.environment.startsWith('preview:')).map((migration) => migration.versionId)).toEqual([v2.id]);

    // Publishing with a deploy passes the flag on to the deployment (here nothing is left to migrate).
    const v3 = await upload(call, project.id, v2.id, todos({ title: { type: 'string', required: true } }), 'v3');
    const both = await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v3.id, deploy: {}, allowDestructiveDataChanges: true });
    expect(both.status).toBe(200);
    expect(both.json.deployment).toMatchObject({ environment: 'production', versionId: v3.id });
    expect(await rowsOf(call, tableId)).toMatchObject([{ data: { title: 'keep' } }]);
    // The new fields are booleans.
    expect((await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v3.id, allowDestructiveDataChanges: 'yes' })).status).toBe(400);
    expect((await call('POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: v1.id, includeData: 1 })).status).toBe(400);
    expect((await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'production', allowDestructiveDataChanges: 'true' })).status).toBe(400);
  });

  it('lets a member read migrations, history and snapshots', async () => {
    const { call } = get();
    const member = (await call('POST', '/v1/api-keys', { name: 'reader', role: 'member' })).json.key as string;
    const project = (await call('POST', '/v1/projects', { name: 'reads' })).json;
    const v1 = await upload(call, project.id, null, v1Schema, 'v1');
    expect((await call('POST', `/v1/projects/${project.id}/publish`, { versionId: v1.id }, member)).status).toBe(200);
    const tableId = (await tableOf(call, project.id))[0]?.id as string;
    const row = (await call('POST', `/v1/tables/${tableId}/rows`, { data: { title: 'x' } }, member)).json;
    expect((await call('GET', `/v1/projects/${project.id}/data/migrations`, undefined, member)).json.items).toHaveLength(1);
    expect((await call('GET', `/v1/rows/${row.id}/versions`, undefined, member)).json.items).toHaveLength(1);
    expect((await call('GET', `/v1/tables/${tableId}/snapshot?asOf=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, undefined, member)).json.items).toEqual([{ id: row.id, data: { title: 'x', done: false } }]);
  });
});
