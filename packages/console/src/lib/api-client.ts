import { ApiError, apiErrorFrom } from './api-error.js';

/** Options of {@link createApiClient}. */
export interface ApiClientOptions {
  /** Where the API is, e.g. `''` (same origin) or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The API key (or JWT) sent as `Authorization: Bearer`. */
  key: string;
  /** Injectable for tests; default the global `fetch`. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

/** JSON over the public HTTP API with one credential. */
export interface ApiClient {
  /** Sends a request and answers its JSON body (null for an empty one); throws {@link ApiError}. */
  request<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

/** A client of the public HTTP API: every failure is an {@link ApiError} with the API's code and message. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const send = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${options.key}`, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await send(`${options.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      } catch (cause) {
        throw new ApiError({ status: 0, code: 'NETWORK_ERROR', message: 'The server could not be reached', cause });
      }
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      if (!response.ok) throw apiErrorFrom(response.status, response.statusText, json);
      return json as T;
    },
  };
}
