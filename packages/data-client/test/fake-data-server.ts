import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataRow, DataTableInfo } from '../src/index.js';

/** One request as the fake server saw it. */
export interface RecordedRequest {
  method: string;
  /** The raw request target, still percent-encoded. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An in-memory implementation of the runtime data REST contract, listening on 127.0.0.1. */
export interface FakeDataServer {
  /** The data API base URL, `http://127.0.0.1:<port>/data/v1`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A table answering every request with 429 and `retry-after: 2`. */
export const RATE_LIMITED_TABLE = 'busy';
/** A table answering every request with a bare 502 (no JSON body), like a proxy in front would. */
export const BROKEN_TABLE = 'broken';

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Starts a fake data API for `token` with `tables`: just enough of the contract to drive the client
 * end to end (auth, tables, rows CRUD, where/orderBy/limit/cursor paging, error bodies).
 */
export async function startFakeDataServer({ token, tables }: { token: string; tables: DataTableInfo[] }): Promise<FakeDataServer> {
  const requests: RecordedRequest[] = [];
  const rowsByTable = new Map<string, DataRow[]>(tables.map((table) => [table.name, []]));
  let sequence = 0;

  function tableFor(name: string, operation: keyof DataTableInfo['access']): DataTableInfo {
    const table = tables.find((candidate) => candidate.name === name);
    if (!table) throw new HttpError(400, 'VALIDATION_FAILED', `There is no table ${name}; the tables are declared in vector.data.json`);
    if (!table.access[operation]) throw new HttpError(403, 'FORBIDDEN', `${name}'s access rules do not allow ${operation}`, { table: name, operation });
    return table;
  }

  function checkColumns(table: DataTableInfo, names: string[]): void {
    const unknown = names.filter((name) => !table.columns.some((column) => column.name === name));
    if (unknown.length > 0) throw new HttpError(400, 'VALIDATION_FAILED', `${table.name} has no column ${unknown.join(', ')}`, { issues: unknown.map((name) => ({ path: [name], message: 'unknown column' })) });
  }

  function objectBody(body: string): Record<string, unknown> {
    const value: unknown = body === '' ? undefined : JSON.parse(body);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'VALIDATION_FAILED', 'The body must be a JSON object');
    return value as Record<string, unknown>;
  }

  function rowOf(table: DataTableInfo, id: string): DataRow {
    const row = rowsByTable.get(table.name)?.find((candidate) => candidate.id === id);
    if (!row) throw new HttpError(404, 'NOT_FOUND', `row ${id} not found`);
    return row;
  }

  function listRows(table: DataTableInfo, search: URLSearchParams): { items: DataRow[]; nextCursor: string | null } {
    const where: unknown = search.has('where') ? JSON.parse(search.get('where') as string) : {};
    if (typeof where !== 'object' || where === null || Array.isArray(where)) throw new HttpError(400, 'VALIDATION_FAILED', 'where must be a JSON object');
    checkColumns(table, Object.keys(where));
    const orderBy = search.get('orderBy');
    if (orderBy !== null) checkColumns(table, [orderBy]);
    const direction = search.get('direction') ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') throw new HttpError(400, 'VALIDATION_FAILED', 'direction is asc or desc');
    const limit = Number(search.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'VALIDATION_FAILED', 'limit is an integer from 1 to 500', { issues: [{ path: ['limit'], message: 'out of range' }] });
    const offset = search.has('cursor') ? Number(Buffer.from(search.get('cursor') as string, 'base64url').toString()) : 0;
    let matching = (rowsByTable.get(table.name) ?? []).filter((row) => Object.entries(where).every(([column, value]) => (row.data[column] ?? null) === value));
    if (orderBy !== null) {
      const sign = direction === 'desc' ? -1 : 1;
      matching = [...matching].sort((a, b) => sign * String(a.data[orderBy]).localeCompare(String(b.data[orderBy])));
    }
    const items = matching.slice(offset, offset + limit);
    const more = offset + limit < matching.length;
    return { items, nextCursor: more ? Buffer.from(String(offset + limit)).toString('base64url') : null };
  }

  async function handle(request: IncomingMessage, body: string): Promise<{ status: number; json?: unknown; headers?: Record<string, string>; text?: string }> {
    if (request.headers.authorization !== `Bearer ${token}`) throw new HttpError(401, 'UNAUTHORIZED', 'The data token is missing, invalid or revoked');
    const target = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (!target.pathname.startsWith('/data/v1/')) throw new HttpError(404, 'NOT_FOUND', 'no such route');
    const segments = target.pathname.slice('/data/v1/'.length).split('/').map(decodeURIComponent);
    const method = request.method ?? 'GET';
    if (segments.length === 1 && segments[0] === 'tables' && method === 'GET') return { status: 200, json: { items: tables.filter((table) => Object.values(table.access).some(Boolean)) } };
    if (segments[0] !== 'tables' || segments[2] !== 'rows' || segments.length > 4) throw new HttpError(404, 'NOT_FOUND', 'no such route');
    const tableName = segments[1] as string;
    if (tableName === RATE_LIMITED_TABLE) return { status: 429, headers: { 'retry-after': '2' }, json: { error: { code: 'RATE_LIMITED', message: 'Too many requests for this deployment' } } };
    if (tableName === BROKEN_TABLE) return { status: 502, text: 'Bad gateway' };
    const id = segments[3];
    if (id === undefined && method === 'GET') return { status: 200, json: listRows(tableFor(tableName, 'read'), target.searchParams) };
    if (id === undefined && method === 'POST') {
      const table = tableFor(tableName, 'insert');
      const data = objectBody(body);
      checkColumns(table, Object.keys(data));
      for (const column of table.columns) {
        if (data[column.name] === undefined && column.default !== undefined) data[column.name] = column.default;
        if (data[column.name] === undefined && column.required) throw new HttpError(400, 'VALIDATION_FAILED', `${column.name} is required`, { issues: [{ path: [column.name], message: 'required' }] });
      }
      sequence += 1;
      const now = new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString();
      const row: DataRow = { id: `row_${sequence}`, data, createdAt: now, updatedAt: now };
      rowsByTable.get(table.name)?.push(row);
      return { status: 201, json: row };
    }
    if (id !== undefined && method === 'GET') return { status: 200, json: rowOf(tableFor(tableName, 'read'), id) };
    if (id !== undefined && method === 'PATCH') {
      const table = tableFor(tableName, 'update');
      const row = rowOf(table, id);
      const patch = objectBody(body);
      checkColumns(table, Object.keys(patch));
      row.data = { ...row.data, ...patch };
      row.updatedAt = new Date(Date.parse(row.updatedAt) + 1000).toISOString();
      return { status: 200, json: row };
    }
    if (id !== undefined && method === 'DELETE') {
      const table = tableFor(tableName, 'delete');
      const row = rowOf(table, id);
      rowsByTable.set(table.name, (rowsByTable.get(table.name) ?? []).filter((candidate) => candidate !== row));
      return { status: 204 };
    }
    throw new HttpError(404, 'NOT_FOUND', 'no such route');
  }

  async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body });
    try {
      const answer = await handle(request, body);
      if (answer.json !== undefined) response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.json));
      else response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.text);
    } catch (error) {
      const failure = error instanceof HttpError ? error : new HttpError(400, 'VALIDATION_FAILED', error instanceof Error ? error.message : String(error));
      const payload = { error: { code: failure.code, message: failure.message, ...(failure.details ? { details: failure.details } : {}) } };
      response.writeHead(failure.status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    }
  }

  const server = createServer((request, response) => void respond(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
