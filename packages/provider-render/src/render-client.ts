import { abortableDelay, CancelledError, ProviderError } from '@vector/core';

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
  retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number };
  /** Each attempt (request and body) is aborted after this many ms. */
  requestTimeoutMs: number;
}

// Several limits can apply at once and Render then repeats the header; fetch joins them with ", ".
function headerNumbers(headers: Headers, name: string): number[] {
  const raw = headers.get(name);
  if (!raw) return [];
  return raw
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((value) => Number.isFinite(value) && value >= 0);
}

/**
 * Render's retry hint in ms. `Retry-After` first; else `Ratelimit-Reset`, which real answers
 * give as seconds until reset although the docs say epoch seconds, so both are accepted.
 */
export function retryAfterMsFrom(headers: Headers, nowMs: number, status: number): number | undefined {
  const retryAfter = headerNumbers(headers, 'retry-after');
  if (retryAfter.length > 0) return Math.max(...retryAfter) * 1000;
  // Every answer carries Ratelimit-Reset; it only says when to retry once we are limited.
  if (status !== 429) return undefined;
  const resets = headerNumbers(headers, 'ratelimit-reset').map((value) => (value > 1_000_000_000 ? Math.max(0, value * 1000 - nowMs) : value * 1000));
  return resets.length > 0 ? Math.max(...resets) : undefined;
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

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
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

/** Creates a client bound to one API key. Secrets in request bodies never reach errors. */
export function createRenderClient(options: RenderClientOptions): RenderClient {
  const { retry, provider } = options;

  async function request<T>(call: RenderRequest): Promise<RenderResponse<T>> {
    const url = buildUrl(options.baseUrl, call);
    const what = `${call.method} ${call.path}`;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      let body: unknown;
      // A silent server must not hold a deploy or a poll forever; the caller's signal still wins.
      const timeout = AbortSignal.timeout(options.requestTimeoutMs);
      try {
        response = await options.fetch(url, {
          method: call.method,
          headers: {
            authorization: `Bearer ${options.apiKey}`,
            accept: 'application/json',
            ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
        });
        body = await readBody(response);
      } catch (error) {
        if (call.signal?.aborted) throw new CancelledError({ message: `Render ${what} was cancelled`, cause: error });
        if (call.retryServerErrors !== false && attempt < retry.maxRetries) {
          await abortableDelay(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt), call.signal);
          continue;
        }
        const reason = timeout.aborted ? `no answer within ${options.requestTimeoutMs} ms` : error instanceof Error ? error.message : String(error);
        throw new ProviderError({ provider, message: `Render ${what} failed: ${reason}`, isRetryable: true, cause: error, details: { reason: timeout.aborted ? 'timeout' : 'network' } });
      }
      if (response.ok) return { status: response.status, body: body as T };

      const hint = retryAfterMsFrom(response.headers, Date.now(), response.status);
      // A 429 was not processed, so it is always safe to repeat; a 5xx may have been.
      const retryable = response.status === 429 || response.status >= 500;
      const mayRepeat = response.status === 429 || (response.status >= 500 && call.retryServerErrors !== false);
      const delay = hint ?? retry.baseDelayMs * 2 ** attempt;
      if (mayRepeat && attempt < retry.maxRetries && delay <= retry.maxDelayMs) {
        await abortableDelay(delay, call.signal);
        continue;
      }
      const { message, code } = describe(response.status, body);
      throw new ProviderError({
        provider,
        status: response.status,
        isRetryable: retryable,
        retryAfterMs: hint,
        message: `Render ${what} answered ${response.status}: ${message}`,
        details: { ...(code ? { renderCode: code } : {}), ...(response.headers.get('render-request-id') ? { requestId: response.headers.get('render-request-id') } : {}) },
      });
    }
  }

  return { request };
}
