import { abortableDelay, CancelledError, ProviderError } from '@vector/core';

/** What the client needs from the resolved options. */
export interface RailwayClientOptions {
  provider: string;
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
  retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number };
  /** Each attempt (request and body) is aborted after this many ms. */
  requestTimeoutMs: number;
}

/** One GraphQL operation sent with variables (never values inlined in the query text). */
export interface RailwayRequest {
  query: string;
  variables: Record<string, unknown>;
  /** Mutations are retried only on 429: a 5xx may have been applied already. */
  mutation: boolean;
  signal?: AbortSignal;
}

/** Sends GraphQL operations to Railway and returns their `data`. */
export type RailwayClient = <T>(request: RailwayRequest) => Promise<T>;

interface GraphqlBody {
  data?: unknown;
  errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }>;
}

/** `Retry-After` (integer seconds per Railway) or, failing that, `X-RateLimit-Reset` (epoch seconds). */
function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const after = headers.get('retry-after');
  if (after !== null && after.trim() !== '' && Number.isFinite(Number(after))) return Math.max(0, Number(after) * 1000);
  const reset = headers.get('x-ratelimit-reset');
  if (reset !== null && Number.isFinite(Number(reset))) {
    const value = Number(reset);
    // Epoch seconds are large; anything small is read as seconds from now.
    return Math.max(0, value > 1e9 ? value * 1000 - nowMs : value * 1000);
  }
  return undefined;
}

async function readBody(response: Response): Promise<GraphqlBody | null> {
  const text = await response.text();
  if (text.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as GraphqlBody) : null;
  } catch {
    return null;
  }
}

function firstMessage(body: GraphqlBody | null): string | undefined {
  const message = body?.errors?.[0]?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Turns one Railway answer into data or a typed error. */
function interpret<T>(provider: string, response: Response, body: GraphqlBody | null, hint: number | undefined): T {
  const message = firstMessage(body);
  if (response.status === 401 || response.status === 403 || (message !== undefined && /not authorized|unauthorized/i.test(message))) {
    throw new ProviderError({ provider, status: response.status === 200 ? 403 : response.status, isRetryable: false, message: `Railway rejected the credentials: ${message ?? response.statusText}. Check the token (an account or workspace token) and its access to this workspace`, details: { reason: 'unauthorized' } });
  }
  if (!response.ok) {
    throw new ProviderError({ provider, status: response.status, retryAfterMs: hint, message: `Railway answered HTTP ${response.status}${message ? `: ${message}` : ''}` });
  }
  if (message !== undefined) {
    const notFound = /not found|does not exist/i.test(message);
    throw new ProviderError({ provider, status: response.status, isRetryable: false, message: `Railway: ${message}`, details: notFound ? { reason: 'not_found' } : {} });
  }
  if (body === null || body.data === null || body.data === undefined) {
    throw new ProviderError({ provider, status: response.status, isRetryable: true, message: 'Railway answered without data or errors' });
  }
  return body.data as T;
}

/** True when Railway said the object asked for does not exist. */
export function isRailwayNotFound(error: unknown): boolean {
  return error instanceof ProviderError && error.details?.reason === 'not_found';
}

/** True when Railway said the project or environment asked for does not exist. */
export function isRailwayPlacementGone(error: unknown): boolean {
  return isRailwayNotFound(error) && /\b(project|environment)\b/i.test((error as ProviderError).message);
}

/**
 * Creates the GraphQL client: bearer auth, typed errors, and a bounded retry that honours
 * Railway's `Retry-After`. Secrets travel only in request bodies and never reach an error.
 */
export function createRailwayClient(options: RailwayClientOptions): RailwayClient {
  const { provider, retry } = options;
  return async function request<T>(input: RailwayRequest): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      let body: GraphqlBody | null;
      // A silent server must not hold a deploy or a poll forever; the caller's signal still wins.
      const timeout = AbortSignal.timeout(options.requestTimeoutMs);
      try {
        response = await options.fetch(options.baseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body: JSON.stringify({ query: input.query, variables: input.variables }),
          signal: input.signal ? AbortSignal.any([input.signal, timeout]) : timeout,
        });
        body = await readBody(response);
      } catch (error) {
        if (input.signal?.aborted) throw new CancelledError({ message: 'The Railway call was cancelled', cause: error });
        const reason = timeout.aborted ? `no answer within ${options.requestTimeoutMs} ms` : error instanceof Error ? error.message : String(error);
        // Retryable even for a mutation: deploy is idempotent as a whole (it finds what an
        // earlier attempt made), but the mutation itself is not repeated here as it may have run.
        const failure = new ProviderError({ provider, isRetryable: true, message: `Could not reach Railway: ${reason}`, cause: error, details: { reason: timeout.aborted ? 'timeout' : 'network' } });
        if (input.mutation || attempt >= retry.maxRetries) throw failure;
        await abortableDelay(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt), input.signal);
        continue;
      }
      const hint = response.status === 429 || response.status >= 500 ? retryAfterMs(response.headers, Date.now()) : undefined;
      try {
        return interpret<T>(provider, response, body, hint);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const retryable = response.status === 429 || (!input.mutation && error.isRetryable);
        const delay = hint ?? Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
        // A hint longer than the cap is handed to the caller (the engine's backoff) instead of waited out.
        if (!retryable || attempt >= retry.maxRetries || delay > retry.maxDelayMs) throw error;
        await abortableDelay(delay, input.signal);
      }
    }
  };
}
