import { fetchWithRetry, type RetryOptions, ProviderError, retryAfterMs } from '@vector/core';

/** One HTTP call to Render. */
export interface RenderRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, e.g. `/services`. */
  path: string;
  /** Query parameters; arrays are sent as repeated keys, as Render expects. */
  query?: Record<string, string | number | ReadonlyArray<string> | undefined>;
  body?: unknown;
  /**
   * Whether a 5xx or a network failure may be retried blindly. False for calls that create
   * something without a natural key (triggering a deploy): the caller checks what happened.
   */
  retryServerErrors?: boolean;
  signal?: AbortSignal;
}

/** A Render answer: status and parsed JSON body (undefined when empty). */
export interface RenderResponse<T> {
  status: number;
  body: T;
}

/** A small Render REST client: auth, JSON, bounded retries, typed errors. */
export interface RenderClient {
  request<T>(request: RenderRequest): Promise<RenderResponse<T>>;
}

/** Settings of {@link createRenderClient}. */
export interface RenderClientOptions {
  apiKey: string;
  baseUrl: string;
  fetch: typeof fetch;
  provider: string;
  retry: RetryOptions;
  /** Each attempt (request and body) is aborted after this many ms. */
  requestTimeoutMs: number;
}

/**
 * Render's retry hint in ms. `Retry-After` first; else, once limited (429), `Ratelimit-Reset`,
 * which real answers give as seconds until reset although the docs say epoch seconds, so both
 * are accepted. Every answer carries `Ratelimit-Reset`; it only says when to retry at a 429.
 */
export function retryAfterMsFrom(headers: Headers, nowMs: number, status: number): number | undefined {
  return retryAfterMs(headers, { now: nowMs, resetHeaders: status === 429 ? ['ratelimit-reset'] : [] });
}

function buildUrl(baseUrl: string, request: RenderRequest): string {
  const url = new URL(`${baseUrl}${request.path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number') url.searchParams.append(key, String(value));
    else for (const item of value) url.searchParams.append(key, item);
  }
  return url.toString();
}

/** The body as JSON; undefined when empty, `{ message }` with its start when not JSON. */
function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function describe(status: number, body: unknown): { message: string; code: string | undefined } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message = typeof record.message === 'string' && record.message !== '' ? record.message : `HTTP ${status}`;
  return { message, code: typeof record.code === 'string' ? record.code : undefined };
}

/** Creates a client bound to one API key, on core's `fetchWithRetry`. Secrets in request bodies never reach errors. */
export function createRenderClient(options: RenderClientOptions): RenderClient {
  const { provider } = options;
  async function request<T>(call: RenderRequest): Promise<RenderResponse<T>> {
    const what = `${call.method} ${call.path}`;
    const answer = await fetchWithRetry({
      fetch: options.fetch,
      url: buildUrl(options.baseUrl, call),
      init: {
        method: call.method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'application/json',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
      },
      signal: call.signal,
      timeoutMs: options.requestTimeoutMs,
      retry: options.retry,
      idempotent: call.retryServerErrors !== false,
      retryAfter: (headers, status) => retryAfterMsFrom(headers, Date.now(), status),
      name: `Render ${what}`,
      provider,
    });
    const body = parseBody(answer.text);
    if (answer.ok) return { status: answer.status, body: body as T };
    const { message, code } = describe(answer.status, body);
    const requestId = answer.headers.get('render-request-id');
    throw new ProviderError({
      provider,
      status: answer.status,
      // A 429 was not processed, so it is always safe to repeat; a 5xx may have been.
      isRetryable: answer.status === 429 || answer.status >= 500,
      retryAfterMs: answer.retryAfterMs ?? retryAfterMsFrom(answer.headers, Date.now(), answer.status),
      message: `Render ${what} answered ${answer.status}: ${message}`,
      details: { ...(code ? { renderCode: code } : {}), ...(requestId ? { requestId } : {}) },
    });
  }

  return { request };
}
