import { DataClientError } from './data-client-error.js';

/** The column types a table may declare in the project's `vector.data.json`. */
export type DataColumnType = 'string' | 'number' | 'integer' | 'boolean' | 'datetime' | 'json';

/** One declared column of a table. */
export interface DataColumnInfo {
  name: string;
  type: DataColumnType;
  /** An insert without this column is refused (unless it has a `default`). */
  required: boolean;
  /** Filled in when a row is inserted without the column. */
  default?: unknown;
}

/** A table as the deployment's data token sees it: its columns and what the token may do with it. */
export interface DataTableInfo {
  name: string;
  columns: DataColumnInfo[];
  /** The table's access rules from `vector.data.json`: anything not allowed here is refused with `FORBIDDEN`. */
  access: { read: boolean; insert: boolean; update: boolean; delete: boolean };
}

/** One stored row: the server's id and timestamps around the app's own `data`. */
export interface DataRow<Data = Record<string, unknown>> {
  id: string;
  data: Data;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** ISO 8601 timestamp. */
  updatedAt: string;
}

/** One page of rows; pass `nextCursor` as `cursor` for the next one (`null`: this was the last). */
export interface DataPage<Data = Record<string, unknown>> {
  items: DataRow<Data>[];
  nextCursor: string | null;
}

/** Equality filters: column → value. Every filter must match; `null` matches a missing value. */
export type DataWhere<Data> = { [Column in keyof Data & string]?: string | number | boolean | null };

/** The query of `list` and `all`. Without `orderBy`, rows come oldest first. */
export interface DataListQuery<Data = Record<string, unknown>> {
  where?: DataWhere<Data>;
  /** A declared column to sort by. */
  orderBy?: keyof Data & string;
  /** The direction of `orderBy`; `asc` by default. */
  direction?: 'asc' | 'desc';
  /** Rows per page, 1 to 500 (the server's default when left out). */
  limit?: number;
  /** The `nextCursor` of the previous page; opaque. */
  cursor?: string;
}

/** The rows of one table. Every method throws a {@link DataClientError} when the call fails. */
export interface DataTableHandle<Data = Record<string, unknown>> {
  /** The table's name. */
  readonly name: string;
  /** One page of rows matching `query`. */
  list(query?: DataListQuery<Data>): Promise<DataPage<Data>>;
  /** Every row matching `query`, fetching page after page as the loop goes on. */
  all(query?: DataListQuery<Data>): AsyncIterable<DataRow<Data>>;
  /** The row with this id; `NOT_FOUND` (404) when there is none in this table. */
  get(id: string): Promise<DataRow<Data>>;
  /** Inserts a row; columns left out get their declared default. Returns the stored row. */
  insert(data: Partial<Data>): Promise<DataRow<Data>>;
  /** Changes the columns in `patch` and keeps the others. Returns the stored row. */
  update(id: string, patch: Partial<Data>): Promise<DataRow<Data>>;
  /** Deletes the row. */
  delete(id: string): Promise<void>;
}

/** A client for one deployment's runtime data. */
export interface DataClient<Tables extends DataTablesShape<Tables> = Record<string, Record<string, unknown>>> {
  /** The data API's base URL, without a trailing slash. */
  readonly url: string;
  /** The tables the token may do anything with. */
  tables(): Promise<DataTableInfo[]>;
  /** The rows of the table `name`; makes no request by itself. */
  table<Name extends keyof Tables & string>(name: Name): DataTableHandle<Tables[Name]>;
}

/** The constraint of a client's `Tables`: table name → the type of its rows' data (interfaces welcome). */
export type DataTablesShape<Tables> = { [Name in keyof Tables]: object };

/** The options of {@link createDataClient}; all optional in Node on a Vector deployment. */
export interface DataClientOptions {
  /**
   * The data API's base URL, e.g. `https://vector.example.com/data/v1`. Defaults to the
   * `VECTOR_DATA_URL` environment variable where `process` exists (Node). A browser has no
   * `process`: a Vite app passes `import.meta.env.VITE_VECTOR_DATA_URL`, which Vector sets on every
   * deployment.
   */
  url?: string;
  /**
   * The deployment's data token, sent as `Authorization: Bearer …` and never logged. Defaults to
   * `VECTOR_DATA_TOKEN` where `process` exists; a Vite app passes
   * `import.meta.env.VITE_VECTOR_DATA_TOKEN`.
   */
  token?: string;
  /** The `fetch` to use; the global one by default. */
  fetch?: typeof fetch;
  /** Extra headers sent with every request (they can't replace `authorization`). */
  headers?: Record<string, string>;
}

const statusCodes: Record<number, string> = { 400: 'VALIDATION_FAILED', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 429: 'RATE_LIMITED' };

/**
 * A client for the runtime data of the deployment whose token it holds: its project's tables (a
 * preview's own copy for a preview), within each table's access rules. It only needs `fetch`, so
 * it runs in the browser and in Node.
 *
 * ```ts
 * type Tables = { todos: { title: string; done: boolean } };
 * const data = createDataClient<Tables>({ url: import.meta.env.VITE_VECTOR_DATA_URL, token: import.meta.env.VITE_VECTOR_DATA_TOKEN });
 * const todo = await data.table('todos').insert({ title: 'Ship it', done: false });
 * ```
 *
 * @throws Error when no URL or no token is given and the environment has none.
 */
export function createDataClient<Tables extends DataTablesShape<Tables> = Record<string, Record<string, unknown>>>(options: DataClientOptions = {}): DataClient<Tables> {
  const url = (options.url ?? fromEnvironment('VECTOR_DATA_URL'))?.replace(/\/+$/, '');
  const token = options.token ?? fromEnvironment('VECTOR_DATA_TOKEN');
  if (!url) {
    // No `import.meta.env` in these strings: some bundlers rewrite it even inside string literals.
    throw new Error('@vector/data-client: no data URL. Pass createDataClient({ url }) or set VECTOR_DATA_URL; a Vite app passes its VITE_VECTOR_DATA_URL (Vector sets both on every deployment).');
  }
  if (!token) {
    throw new Error('@vector/data-client: no data token. Pass createDataClient({ token }) or set VECTOR_DATA_TOKEN; a Vite app passes its VITE_VECTOR_DATA_TOKEN (Vector sets both on every deployment).');
  }
  const send = options.fetch ?? ((input: string | URL | Request, init?: RequestInit) => globalThis.fetch(input, init));
  const extraHeaders = options.headers ?? {};

  /** One call of the data API; resolves to the parsed JSON body (undefined for 204). */
  async function request(method: string, path: string, { query, body }: { query?: URLSearchParams; body?: unknown } = {}): Promise<unknown> {
    const search = query?.toString() ? `?${query.toString()}` : '';
    const headers = new Headers(extraHeaders);
    headers.set('accept', 'application/json');
    headers.set('authorization', `Bearer ${token}`);
    if (body !== undefined) headers.set('content-type', 'application/json');
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await send(`${url}${path}${search}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (cause) {
      throw new DataClientError({ message: `${what} failed before any answer: ${cause instanceof Error ? cause.message : String(cause)}`, status: 0, code: 'NETWORK_ERROR', cause });
    }
    const text = await response.text();
    if (!response.ok) throw errorOf(what, response, text);
    if (response.status === 204 || text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new DataClientError({ message: `${what} answered ${response.status} with a body that isn't JSON`, status: response.status, code: 'INVALID_RESPONSE', cause });
    }
  }

  /** `value` when it is an object with an array `items`; otherwise an INVALID_RESPONSE error. */
  function listOf<Item>(what: string, value: unknown): { items: Item[]; nextCursor?: unknown } {
    if (typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items)) return value as { items: Item[] };
    throw new DataClientError({ message: `${what} answered without an items list`, status: 200, code: 'INVALID_RESPONSE' });
  }

  function table<Data>(name: string): DataTableHandle<Data> {
    const rows = `/tables/${encodeURIComponent(name)}/rows`;
    const row = (id: string) => `${rows}/${encodeURIComponent(id)}`;
    const list = async (query: DataListQuery<Data> = {}): Promise<DataPage<Data>> => {
      const params = new URLSearchParams();
      if (query.where && Object.keys(query.where).length > 0) params.set('where', JSON.stringify(query.where));
      if (query.orderBy !== undefined) params.set('orderBy', query.orderBy);
      if (query.direction !== undefined) params.set('direction', query.direction);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.cursor !== undefined) params.set('cursor', query.cursor);
      const page = listOf<DataRow<Data>>(`GET ${rows}`, await request('GET', rows, { query: params }));
      return { items: page.items, nextCursor: typeof page.nextCursor === 'string' ? page.nextCursor : null };
    };
    return {
      name,
      list,
      async *all(query: DataListQuery<Data> = {}) {
        let cursor = query.cursor;
        do {
          const page = await list({ ...query, cursor });
          yield* page.items;
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
      },
      get: async (id) => (await request('GET', row(id))) as DataRow<Data>,
      insert: async (data) => (await request('POST', rows, { body: data })) as DataRow<Data>,
      update: async (id, patch) => (await request('PATCH', row(id), { body: patch })) as DataRow<Data>,
      delete: async (id) => {
        await request('DELETE', row(id));
      },
    };
  }

  return {
    url,
    tables: async () => listOf<DataTableInfo>('GET /tables', await request('GET', '/tables')).items,
    table: (name) => table(name),
  };
}

/** A non-empty environment variable, where there is an environment (not in a browser). */
function fromEnvironment(name: string): string | undefined {
  if (typeof process === 'undefined' || typeof process.env !== 'object' || process.env === null) return undefined;
  return process.env[name] || undefined;
}

/** The error of a non-2xx answer: the server's `{ error: { code, message, details } }` when it sent one. */
function errorOf(what: string, response: Response, text: string): DataClientError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; message?: unknown; details?: unknown }) : {};
  const details = typeof fields.details === 'object' && fields.details !== null ? (fields.details as Record<string, unknown>) : undefined;
  return new DataClientError({
    message: typeof fields.message === 'string' ? fields.message : `${what} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    status: response.status,
    code: typeof fields.code === 'string' ? fields.code : (statusCodes[response.status] ?? `HTTP_${response.status}`),
    details,
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
  });
}

/** `retry-after` in milliseconds: delay-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
