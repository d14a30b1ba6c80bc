import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDataClient, DataClientError, type DataTableInfo } from '../src/index.js';
import { BROKEN_TABLE, RATE_LIMITED_TABLE, startFakeDataServer, type FakeDataServer } from './fake-data-server.js';

// The client end to end against an in-memory fake of the runtime data REST contract over real
// HTTP on 127.0.0.1. The real server's runtime routes are tested against this client in
// packages/server's tests (added separately); this fake only pins what the client sends and reads.

const token = 'vdt_test.secret-token-value';
const tables: DataTableInfo[] = [
  {
    name: 'todos',
    columns: [
      { name: 'title', type: 'string', required: true },
      { name: 'done', type: 'boolean', required: false, default: false },
    ],
    access: { read: true, insert: true, update: true, delete: true },
  },
  { name: 'notes', columns: [{ name: 'text', type: 'string', required: false }], access: { read: true, insert: false, update: false, delete: false } },
  { name: 'hidden', columns: [{ name: 'x', type: 'string', required: false }], access: { read: false, insert: false, update: false, delete: false } },
];
type Tables = { todos: { title: string; done: boolean }; notes: { text: string } };

let server: FakeDataServer;
beforeAll(async () => {
  server = await startFakeDataServer({ token, tables });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

const client = () => createDataClient<Tables>({ url: server.url, token });
/** The error a promise rejects with, checked to be a DataClientError. */
async function failureOf(promise: Promise<unknown>): Promise<DataClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(DataClientError.isInstance(error), String(error)).toBe(true);
  expect(error).toBeInstanceOf(DataClientError);
  return error as DataClientError;
}

describe('requests', () => {
  it('sends the bearer token, accepts JSON and adds the extra headers without letting them replace authorization', async () => {
    const data = createDataClient({ url: server.url, token, headers: { 'x-app': 'todo-list', Authorization: 'Bearer nope' } });
    await data.tables();
    const sent = server.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${token}`);
    expect(sent?.headers.accept).toBe('application/json');
    expect(sent?.headers['x-app']).toBe('todo-list');
  });

  it('lists the tables the token may use', async () => {
    const listed = await client().tables();
    expect(listed.map((table) => table.name)).toEqual(['todos', 'notes']);
    expect(listed[0]?.columns[1]).toEqual({ name: 'done', type: 'boolean', required: false, default: false });
    expect(listed[1]?.access).toEqual({ read: true, insert: false, update: false, delete: false });
  });

  it('inserts, gets, updates and deletes a row', async () => {
    const todos = client().table('todos');
    expect(todos.name).toBe('todos');
    const created = await todos.insert({ title: 'Write the client' });
    expect(created).toMatchObject({ id: expect.any(String), data: { title: 'Write the client', done: false } });
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', body: JSON.stringify({ title: 'Write the client' }) });
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/json');

    expect(await todos.get(created.id)).toEqual(created);
    const updated = await todos.update(created.id, { done: true });
    expect(updated.data).toEqual({ title: 'Write the client', done: true });
    expect(updated.updatedAt > created.updatedAt).toBe(true);
    expect(server.requests.at(-1)).toMatchObject({ method: 'PATCH', body: '{"done":true}' });

    await expect(todos.delete(created.id)).resolves.toBeUndefined();
    expect(server.requests.at(-1)?.method).toBe('DELETE');
    expect((await failureOf(todos.get(created.id))).code).toBe('NOT_FOUND');
  });

  it('pages through every row with all(), following nextCursor', async () => {
    const todos = client().table('todos');
    const titles = ['a', 'b', 'c', 'd', 'e'].map((letter) => `page ${letter}`);
    for (const title of titles) await todos.insert({ title });

    const first = await todos.list({ where: { done: false }, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));

    const before = server.requests.length;
    const seen: string[] = [];
    for await (const row of todos.all({ where: { done: false }, limit: 2 })) seen.push(row.data.title);
    expect(seen.filter((title) => title.startsWith('page '))).toEqual(titles);
    const pages = server.requests.slice(before);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(new URL(pages[0]?.url ?? '', 'http://x').searchParams.has('cursor')).toBe(false);
    expect(new URL(pages[1]?.url ?? '', 'http://x').searchParams.get('cursor')).toEqual(expect.any(String));

    // all() starts from a given cursor.
    const rest: string[] = [];
    for await (const row of todos.all({ where: { done: false }, limit: 2, cursor: first.nextCursor as string })) rest.push(row.data.title);
    expect(rest).toEqual(seen.slice(2));
  });

  it('encodes where as JSON and passes orderBy, direction, limit and cursor as query parameters', async () => {
    const todos = client().table('todos');
    await todos.insert({ title: 'b & c', done: true });
    await todos.insert({ title: 'a = 1?', done: true });
    const page = await todos.list({ where: { done: true, title: 'a = 1?' }, orderBy: 'title', direction: 'desc', limit: 10 });
    expect(page.items.map((row) => row.data.title)).toEqual(['a = 1?']);
    const sent = server.requests.at(-1)?.url ?? '';
    expect(sent).toContain('where=%7B%22done%22%3Atrue%2C%22title%22%3A%22a+%3D+1%3F%22%7D');
    const search = new URL(sent, 'http://x').searchParams;
    expect(JSON.parse(search.get('where') ?? '')).toEqual({ done: true, title: 'a = 1?' });
    expect(Object.fromEntries([...search].filter(([name]) => name !== 'where'))).toEqual({ orderBy: 'title', direction: 'desc', limit: '10' });

    const ordered = await todos.list({ where: { done: true }, orderBy: 'title', direction: 'desc' });
    expect(ordered.items.map((row) => row.data.title)).toEqual(['b & c', 'a = 1?']);
    expect(ordered.nextCursor).toBeNull();

    await todos.list({ where: {} });
    expect(server.requests.at(-1)?.url).toBe('/data/v1/tables/todos/rows');
  });

  it('URL-encodes table names and row ids', async () => {
    const data = createDataClient({ url: server.url, token });
    const error = await failureOf(data.table('odd name/x?').get('a/b?c#d'));
    expect(server.requests.at(-1)?.url).toBe('/data/v1/tables/odd%20name%2Fx%3F/rows/a%2Fb%3Fc%23d');
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('There is no table odd name/x?');

    const missing = await failureOf(client().table('todos').get('../../tables'));
    expect(server.requests.at(-1)?.url).toBe('/data/v1/tables/todos/rows/..%2F..%2Ftables');
    expect(missing.status).toBe(404);
  });
});

describe('errors', () => {
  it('maps a 400 with its code, message and details', async () => {
    const error = await failureOf(client().table('todos').insert({ title: 'x', colour: 'red' } as never));
    expect(error).toMatchObject({ name: 'DataClientError', status: 400, code: 'VALIDATION_FAILED', message: 'todos has no column colour', isRetryable: false, retryAfterMs: undefined });
    expect(error.details).toEqual({ issues: [{ path: ['colour'], message: 'unknown column' }] });

    const limit = await failureOf(client().table('todos').list({ limit: 501 }));
    expect(limit).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('maps a 403 of the access rules', async () => {
    const error = await failureOf(client().table('notes').insert({ text: 'no' }));
    expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN', details: { table: 'notes', operation: 'insert' } });
  });

  it('maps a 404', async () => {
    const error = await failureOf(client().table('todos').update('row_missing', { done: true }));
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'row row_missing not found', details: undefined });
  });

  it('maps a 429 with retry-after to retryAfterMs and isRetryable', async () => {
    const data = createDataClient({ url: server.url, token });
    const error = await failureOf(data.table(RATE_LIMITED_TABLE).list());
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterMs: 2000, isRetryable: true, message: 'Too many requests for this deployment' });
  });

  it('maps a 401 of a wrong token without ever putting a token in the error', async () => {
    const wrong = 'vdt_wrong.another-secret';
    const error = await failureOf(createDataClient({ url: server.url, token: wrong }).tables());
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    for (const text of [error.message, String(error.stack), JSON.stringify(error)]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(token);
    }
    expect(JSON.stringify(client())).not.toContain(token);
  });

  it('derives a code from the status when the answer has no error body', async () => {
    const data = createDataClient({ url: server.url, token });
    const error = await failureOf(data.table(BROKEN_TABLE).list());
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', isRetryable: true });
    expect(error.message).toBe(`GET /tables/${BROKEN_TABLE}/rows answered 502 Bad Gateway`);
  });

  it('reports a request that got no answer as NETWORK_ERROR with its cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(createDataClient({ url: `http://127.0.0.1:${port}/data/v1`, token }).tables());
    expect(error).toMatchObject({ status: 0, code: 'NETWORK_ERROR', isRetryable: true });
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).not.toContain(token);
  });

  it('reports a 2xx body that is not JSON as INVALID_RESPONSE', async () => {
    const data = createDataClient({ url: server.url, token, fetch: async () => new Response('<html>', { status: 200 }) });
    expect(await failureOf(data.tables())).toMatchObject({ status: 200, code: 'INVALID_RESPONSE' });
    const noItems = createDataClient({ url: server.url, token, fetch: async () => Response.json({ rows: [] }) });
    expect(await failureOf(noItems.table('todos').list())).toMatchObject({ code: 'INVALID_RESPONSE' });
  });
});

describe('creating a client', () => {
  it('throws a clear error without a URL or a token', () => {
    vi.stubEnv('VECTOR_DATA_URL', '');
    vi.stubEnv('VECTOR_DATA_TOKEN', '');
    expect(() => createDataClient({ token })).toThrow(/no data URL\. Pass createDataClient\(\{ url \}\) or set VECTOR_DATA_URL; a Vite app passes its VITE_VECTOR_DATA_URL/);
    expect(() => createDataClient({ url: server.url })).toThrow(/no data token\. Pass createDataClient\(\{ token \}\) or set VECTOR_DATA_TOKEN; a Vite app passes its VITE_VECTOR_DATA_TOKEN/);
    expect(() => createDataClient({ url: '', token: '' })).toThrow(/no data URL/);
  });

  it('reads VECTOR_DATA_URL and VECTOR_DATA_TOKEN in Node', async () => {
    vi.stubEnv('VECTOR_DATA_URL', server.url);
    vi.stubEnv('VECTOR_DATA_TOKEN', token);
    const data = createDataClient<Tables>();
    expect(data.url).toBe(server.url);
    const row = await data.table('todos').insert({ title: 'from env' });
    expect(row.data.title).toBe('from env');
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${token}`);
    // Options win over the environment.
    vi.stubEnv('VECTOR_DATA_TOKEN', 'vdt_stale.token');
    await expect(createDataClient({ token }).tables()).resolves.toHaveLength(2);
  });

  it('needs no process (a browser) when url and token are passed', () => {
    vi.stubEnv('VECTOR_DATA_URL', server.url);
    vi.stubEnv('VECTOR_DATA_TOKEN', token);
    vi.stubGlobal('process', undefined);
    let missing: unknown;
    let created: unknown;
    try {
      try {
        createDataClient();
      } catch (error) {
        missing = error;
      }
      created = createDataClient({ url: 'https://vector.example.com/data/v1', token });
    } finally {
      vi.unstubAllGlobals();
    }
    expect(String(missing)).toMatch(/no data URL/);
    expect(created).toMatchObject({ url: 'https://vector.example.com/data/v1' });
  });

  it('strips trailing slashes of the base URL', async () => {
    const data = createDataClient<Tables>({ url: `${server.url}//`, token });
    expect(data.url).toBe(server.url);
    await data.tables();
    expect(server.requests.at(-1)?.url).toBe('/data/v1/tables');
    await data.table('todos').list();
    expect(server.requests.at(-1)?.url).toBe('/data/v1/tables/todos/rows');
  });

  it('uses the fetch it is given', async () => {
    const calls: string[] = [];
    const data = createDataClient({
      url: server.url,
      token,
      fetch: (input, init) => {
        calls.push(`${init?.method} ${String(input)}`);
        return fetch(input, init);
      },
    });
    await data.table('todos').list({ limit: 1 });
    expect(calls).toEqual([`GET ${server.url}/tables/todos/rows?limit=1`]);
  });
});
