import { describeEachDatabase } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { sampleFiles, useServer } from './server-fixture.js';

describeEachDatabase('server routes', (database) => {
  const get = useServer(database);

  it('creates, lists, updates and deletes projects', async () => {
    const { call } = get();
    const created = await call('POST', '/v1/projects', { name: 'app', description: 'demo' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'app', description: 'demo', currentVersionId: null });
    const list = await call('GET', '/v1/projects?limit=10');
    expect(list.json.items.map((project: { id: string }) => project.id)).toEqual([created.json.id]);
    const patched = await call('PATCH', `/v1/projects/${created.json.id}`, { name: 'renamed' });
    expect(patched.json.name).toBe('renamed');
    expect((await call('DELETE', `/v1/projects/${created.json.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/projects/${created.json.id}`)).status).toBe(404);
  });

  it("answers a version's file list with an ETag and 304 when unchanged, only to callers who may see it, each variant apart", async () => {
    const { app, call, key, otherKey } = get();
    const project = (await call('POST', '/v1/projects', { name: 'etag' })).json;
    const version = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles('v1'), message: 'first' })).json;
    const path = `/v1/versions/${version.id}/files`;
    const first = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } });
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    // Served again (from the cache): the same bytes and ETag.
    const again = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } });
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe(etag);
    const notModified = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}`, 'if-none-match': `W/"x", ${etag}` } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    // With contents it is another answer, with another ETag.
    const withContent = await app.inject({ method: 'GET', url: `${path}?include=content`, headers: { authorization: `Bearer ${key}`, 'if-none-match': etag } });
    expect(withContent.statusCode).toBe(200);
    expect(withContent.json().files).toHaveLength(sampleFiles('v1').length);
    expect(withContent.headers.etag).not.toBe(etag);
    // Another organization gets 404, cached or not, with or without the ETag.
    for (const headers of [{ authorization: `Bearer ${otherKey}` }, { authorization: `Bearer ${otherKey}`, 'if-none-match': etag }]) {
      expect((await app.inject({ method: 'GET', url: path, headers })).statusCode).toBe(404);
    }
    // Once the project is deleted, nobody gets it.
    expect((await call('DELETE', `/v1/projects/${project.id}`)).status).toBe(204);
    expect((await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}`, 'if-none-match': etag } })).statusCode).toBe(404);
  });

  it('uploads versions, reads files, diffs, rolls back and publishes', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'app' })).json;
    const v1 = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles('v1'), message: 'first' });
    expect(v1.status).toBe(201);
    expect(v1.json).toMatchObject({ number: 1, source: 'manual', fileCount: 2 });
    const stale = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles('x'), message: 'stale' });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('CONFLICT');
    const v2 = await call('POST', `/v1/projects/${project.id}/versions`, {
      parentVersionId: v1.json.id,
      changes: [{ type: 'write', path: 'index.html', content: '<h1>v2</h1>' }, { type: 'write', path: 'logo.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]).toString('base64'), encoding: 'base64' }],
      message: 'second',
    });
    expect(v2.status).toBe(201);
    const files = await call('GET', `/v1/versions/${v2.json.id}/files`);
    expect(files.json.items.map((file: { path: string }) => file.path).sort()).toEqual(['index.html', 'logo.png', 'src/main.js']);
    const withContent = await call('GET', `/v1/versions/${v2.json.id}/files?include=content`);
    expect(withContent.json.files.find((file: { path: string }) => file.path === 'logo.png')).toMatchObject({ encoding: 'base64', size: 7 });
    const one = await call('GET', `/v1/versions/${v2.json.id}/files/src/main.js`);
    expect(one.json).toMatchObject({ path: 'src/main.js', encoding: 'utf8', content: 'console.log("v1");\n' });
    expect((await call('GET', `/v1/versions/${v2.json.id}/files/missing.txt`)).status).toBe(404);
    const diff = await call('GET', `/v1/versions/${v2.json.id}/diff`);
    const byPath = Object.fromEntries(diff.json.items.map((item: { path: string; status: string }) => [item.path, item.status]));
    expect(byPath).toEqual({ 'index.html': 'modified', 'logo.png': 'added' });
    const rollback = await call('POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: v1.json.id, expectedCurrentVersionId: v2.json.id });
    expect(rollback.status).toBe(201);
    expect(rollback.json).toMatchObject({ number: 3, source: 'rollback', restoredFromId: v1.json.id });
    const published = await call('POST', `/v1/projects/${project.id}/publish`, { versionId: rollback.json.id });
    expect(published.status).toBe(200);
    expect(published.json.project.publishedVersionId).toBe(rollback.json.id);
    const versions = await call('GET', `/v1/projects/${project.id}/versions?limit=2`);
    expect(versions.json.items).toHaveLength(2);
    expect(versions.json.nextCursor).toEqual(expect.any(String));
  });

  it('runs a data table: validation, filters and pagination', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'app' })).json;
    const table = await call('POST', `/v1/projects/${project.id}/tables`, { name: 'todos', columns: [{ name: 'title', type: 'string', required: true }, { name: 'done', type: 'boolean' }] });
    expect(table.status).toBe(201);
    const bad = await call('POST', `/v1/tables/${table.json.id}/rows`, { data: { done: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('VALIDATION_FAILED');
    for (const [title, done] of [['a', false], ['b', true], ['c', false]] as const) {
      expect((await call('POST', `/v1/tables/${table.json.id}/rows`, { data: { title, done } })).status).toBe(201);
    }
    const open = await call('GET', `/v1/tables/${table.json.id}/rows?where=${encodeURIComponent('{"done":false}')}&orderBy=title&direction=desc`);
    expect(open.json.items.map((row: { data: { title: string } }) => row.data.title)).toEqual(['c', 'a']);
    const page = await call('GET', `/v1/tables/${table.json.id}/rows?limit=2`);
    expect(page.json.items).toHaveLength(2);
    const next = await call('GET', `/v1/tables/${table.json.id}/rows?limit=2&cursor=${page.json.nextCursor}`);
    expect(next.json.items).toHaveLength(1);
    const row = next.json.items[0];
    expect((await call('PATCH', `/v1/rows/${row.id}`, { data: { done: true } })).json.data).toMatchObject({ done: true });
    expect((await call('DELETE', `/v1/rows/${row.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/rows/${row.id}`)).status).toBe(404);
    expect((await call('GET', `/v1/tables/${table.json.id}/rows?where=nope`)).status).toBe(400);
  });

  it('filters the audit log by project and action', async () => {
    const { call } = get();
    const a = (await call('POST', '/v1/projects', { name: 'a' })).json;
    await call('POST', '/v1/projects', { name: 'b' });
    const audit = await call('GET', `/v1/audit?projectId=${a.id}`);
    expect(audit.status).toBe(200);
    expect(audit.json.items.length).toBeGreaterThan(0);
    expect(audit.json.items.every((entry: { projectId: string }) => entry.projectId === a.id)).toBe(true);
    const creates = await call('GET', '/v1/audit?action=project.create');
    expect(creates.json.items).toHaveLength(2);
    const future = await call('GET', `/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(future.json.items).toHaveLength(0);
  });
});

describe('error shape', () => {
  // One database is enough here: these never reach the engine's SQL.
  describeEachDatabase('errors', (database) => {
    const get = useServer(database);
    it('answers 401 without a key and 404 for unknown routes in the error shape', async () => {
      const { app } = get();
      const anonymous = await app.inject({ method: 'GET', url: '/v1/projects' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      const forged = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer vk_${'a'.repeat(43)}` } });
      expect(forged.statusCode).toBe(401);
      const unknown = await get().call('GET', '/v1/nothing-here');
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe('NOT_FOUND');
      const badJson = await app.inject({ method: 'POST', url: '/v1/projects', headers: { authorization: `Bearer ${get().key}`, 'content-type': 'application/json' }, payload: '{"name":' });
      expect(badJson.statusCode).toBe(400);
      expect(badJson.json().error.code).toBe('VALIDATION_FAILED');
    });
  });
});
