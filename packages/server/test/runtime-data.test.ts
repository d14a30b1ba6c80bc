import { createMemoryStorage, createVector, type Vector, type VectorDatabaseConnection } from '@vector/core';
import { createEnvRecordingProvider } from '../../../test-support/env-recording-provider.js';
import { describeEachDatabase } from '@vector/core/testing';
import type { FastifyInstance } from 'fastify';
import { createDataClient, DataClientError } from '@vector/data-client';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { bootstrapOrganization, sampleFiles } from './server-fixture.js';

const dataSchema = {
  tables: {
    todos: { columns: { title: { type: 'string', required: true }, done: { type: 'boolean', default: false } }, access: { read: true, insert: true, update: true, delete: true } },
    audit: { columns: { note: { type: 'string' } }, access: { read: true } },
    hidden: { columns: { value: { type: 'string' } } },
  },
};

describeEachDatabase('the runtime data API', (database) => {
  let connection: VectorDatabaseConnection;
  let vector: Vector;
  let app: FastifyInstance;
  let recording: ReturnType<typeof createEnvRecordingProvider>;
  beforeEach(async () => {
    connection = await database.create();
    recording = createEnvRecordingProvider((deploymentId) => `http://${deploymentId}.preview.localhost:3001/`);
    vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [recording.provider], dataApiUrl: 'http://127.0.0.1:8080/data/v1', deploymentPollIntervalMs: 20 });
    app = buildServer({ vector, rateLimit: false, dataRateLimit: { max: 40, windowMs: 60_000 } });
    await vector.start();
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await vector.dispose();
    await connection.destroy();
  });

  /** An organization with a project whose published version declares the tables, deployed to `environment`. */
  async function deployedApp(name: string, environment: 'preview' | 'production' = 'production') {
    const { key } = await bootstrapOrganization(app, name);
    const call = async (method: string, url: string, body?: unknown) => {
      const response = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(body === undefined ? {} : { payload: body as object }) });
      return response.json();
    };
    const project = await call('POST', '/v1/projects', { name: 'Todos' });
    const version = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, message: 'v1', files: [...sampleFiles(), { path: 'vector.data.json', content: JSON.stringify(dataSchema) }] });
    await call('POST', `/v1/projects/${project.id}/publish`, { versionId: version.id });
    const deployment = await call('POST', `/v1/projects/${project.id}/deployments`, { versionId: version.id, environment });
    const env = recording.envs.get(deployment.id) ?? {};
    return { key, project, deployment, token: env.VECTOR_DATA_TOKEN as string, origin: new URL(deployment.url ?? `http://${deployment.id}.preview.localhost:3001/`).origin, call };
  }

  const data = (token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: method as 'GET', url: `/data/v1${url}`, headers: { authorization: `Bearer ${token}`, ...headers }, ...(body === undefined ? {} : { payload: body as object }) });

  it('lets a deployed app read and write its tables within their access rules, and answers bad input with 400 naming the field', async () => {
    const { token } = await deployedApp('Acme');
    expect(token).toMatch(/^vdt_/);
    expect((await data(token, 'GET', '/tables')).json().items.map((table: { name: string }) => table.name)).toEqual(['audit', 'todos']);
    const created = await data(token, 'POST', '/tables/todos/rows', { title: 'Buy milk' });
    expect(created.statusCode).toBe(201);
    const row = created.json();
    expect(row.data).toEqual({ title: 'Buy milk', done: false });
    expect((await data(token, 'PATCH', `/tables/todos/rows/${row.id}`, { done: true })).json().data).toEqual({ title: 'Buy milk', done: true });
    expect((await data(token, 'GET', `/tables/todos/rows?where=${encodeURIComponent(JSON.stringify({ done: true }))}`)).json().items.map((item: { id: string }) => item.id)).toEqual([row.id]);
    expect((await data(token, 'GET', `/tables/todos/rows?where=${encodeURIComponent(JSON.stringify({ done: false }))}`)).json().items).toEqual([]);
    expect((await data(token, 'DELETE', `/tables/todos/rows/${row.id}`)).statusCode).toBe(204);
    expect((await data(token, 'GET', `/tables/todos/rows/${row.id}`)).statusCode).toBe(404);

    // The access rules: read-only and hidden tables.
    expect((await data(token, 'POST', '/tables/audit/rows', { note: 'x' })).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await data(token, 'GET', '/tables/hidden/rows')).statusCode).toBe(403);
    // Bad input: 400 naming the field, never a 500.
    const unknownTable = await data(token, 'GET', '/tables/nope/rows');
    expect(unknownTable.statusCode).toBe(400);
    expect(unknownTable.json().error.details.issues[0].path).toEqual(['table']);
    const unknownColumn = await data(token, 'POST', '/tables/todos/rows', { title: 'x', colour: 'red' });
    expect(unknownColumn.statusCode).toBe(400);
    expect(JSON.stringify(unknownColumn.json().error)).toContain('colour');
    const wrongType = await data(token, 'POST', '/tables/todos/rows', { title: 42 });
    expect(wrongType.statusCode).toBe(400);
    expect(JSON.stringify(wrongType.json().error.details.issues)).toContain('title');
    const tooBig = await data(token, 'POST', '/tables/todos/rows', { title: 'x'.repeat(300_000) });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().error.details.issues[0].path).toEqual(['data']);
    expect((await data(token, 'GET', '/tables/todos/rows?where=not-json')).statusCode).toBe(400);
    expect((await data(token, 'GET', `/tables/todos/rows?where=${encodeURIComponent('{"colour":"red"}')}`)).statusCode).toBe(400);
  });

  it('keeps tokens to their own deployment: no other project or organization, no management API, no API key here', async () => {
    const mine = await deployedApp('Acme');
    const theirs = await deployedApp('Other');
    const secret = (await data(theirs.token, 'POST', '/tables/todos/rows', { title: 'Theirs' })).json();
    expect((await data(mine.token, 'GET', '/tables/todos/rows')).json().items).toEqual([]);
    expect((await data(mine.token, 'GET', `/tables/todos/rows/${secret.id}`)).statusCode).toBe(404);
    expect((await data(mine.token, 'PATCH', `/tables/todos/rows/${secret.id}`, { title: 'mine' })).statusCode).toBe(404);
    expect((await data(mine.token, 'DELETE', `/tables/todos/rows/${secret.id}`)).statusCode).toBe(404);
    // A data token is no API key, and an API key is no data token.
    const management = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${mine.token}` } });
    expect(management.statusCode).toBe(401);
    expect((await data(mine.key, 'GET', '/tables')).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/data/v1/tables' })).statusCode).toBe(401);
    // Destroying the deployment revokes its token.
    await mine.call('DELETE', `/v1/deployments/${mine.deployment.id}`);
    expect((await data(mine.token, 'GET', '/tables')).statusCode).toBe(401);
  });

  it("allows browsers from the deployment's own origin only, and gives each token its own rate limit", async () => {
    const { token, origin } = await deployedApp('Acme', 'preview');
    const preflight = await app.inject({ method: 'OPTIONS', url: '/data/v1/tables/todos/rows', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    const own = await data(token, 'GET', '/tables', undefined, { origin });
    expect(own.statusCode).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBe(origin);
    const foreign = await data(token, 'GET', '/tables', undefined, { origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    // The management API keeps its own CORS list (none here).
    const api = await app.inject({ method: 'OPTIONS', url: '/v1/projects', headers: { origin, 'access-control-request-method': 'GET' } });
    expect(api.headers['access-control-allow-origin']).toBeUndefined();
    // 40 requests a minute per token in this server: the 41st is refused with retry-after.
    let last = own;
    for (let request = 0; request < 40; request += 1) last = await data(token, 'GET', '/tables');
    expect(last.statusCode).toBe(429);
    expect(last.headers['retry-after']).toBeDefined();
  });

  it('is what @vector/data-client speaks, over real HTTP', async () => {
    const { token } = await deployedApp('Acme');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/data/v1/`;
    const client = createDataClient<{ todos: { title: string; done: boolean }; audit: { note: string } }>({ url, token });
    expect((await client.tables()).map((table) => table.name)).toEqual(['audit', 'todos']);
    const todos = client.table('todos');
    const first = await todos.insert({ title: 'One' });
    expect(first.data).toEqual({ title: 'One', done: false });
    for (const title of ['Two', 'Three']) await todos.insert({ title });
    expect((await todos.update(first.id, { done: true })).data.done).toBe(true);
    expect((await todos.list({ where: { done: true } })).items.map((row) => row.data.title)).toEqual(['One']);
    expect((await todos.list({ orderBy: 'title', direction: 'desc', limit: 1 })).items.map((row) => row.data.title)).toEqual(['Two']);
    const titles: string[] = [];
    for await (const row of todos.all({ limit: 2 })) titles.push(row.data.title);
    expect(titles).toEqual(['One', 'Two', 'Three']);
    await todos.delete(first.id);
    const missing = await todos.get(first.id).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(DataClientError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    await expect(client.table('audit').insert({ note: 'x' })).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    await expect(todos.insert({ title: 7 as unknown as string })).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    await expect(createDataClient({ url, token: 'vdt_forged.AAAA' }).tables()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
