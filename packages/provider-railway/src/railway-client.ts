import { fetchWithRetry, ProviderError, retryAfterMs, type RetryOptions } from '@vector/core';

/** What the client needs from the resolved options. */
export interface RailwayClientOptions {
  provider: string;
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
  retry: RetryOptions;
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

/** The body as GraphQL's envelope, or null when empty or not a JSON object. */
function parseBody(text: string): GraphqlBody | null {
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
function interpret<T>(provider: string, status: number, ok: boolean, body: GraphqlBody | null, hint: number | undefined): T {
  const message = firstMessage(body);
  if (status === 401 || status === 403 || (message !== undefined && /not authorized|unauthorized/i.test(message))) {
    throw new ProviderError({ provider, status: status === 200 ? 403 : status, isRetryable: false, message: `Railway rejected the credentials: ${message ?? `HTTP ${status}`}. Check the token (an account or workspace token) and its access to this workspace`, details: { reason: 'unauthorized' } });
  }
  if (!ok) {
    throw new ProviderError({ provider, status, retryAfterMs: hint, message: `Railway answered HTTP ${status}${message ? `: ${message}` : ''}` });
  }
  if (message !== undefined) {
    const notFound = /not found|does not exist/i.test(message);
    throw new ProviderError({ provider, status, isRetryable: false, message: `Railway: ${message}`, details: notFound ? { reason: 'not_found' } : {} });
  }
  if (body === null || body.data === null || body.data === undefined) {
    throw new ProviderError({ provider, status, isRetryable: true, message: 'Railway answered without data or errors' });
  }
  return body.data as T;
}

/** True when Railway said the object asked for does not exist. */
export function isRailwayNotFound(error: unknown): boolean {
  return ProviderError.isInstance(error) && error.details?.reason === 'not_found';
}

/** True when Railway said the project or environment asked for does not exist. */
export function isRailwayPlacementGone(error: unknown): boolean {
  return isRailwayNotFound(error) && /\b(project|environment)\b/i.test((error as ProviderError).message);
}

/**
 * Creates the GraphQL client: bearer auth, typed errors, and core's bounded retry that honours
 * Railway's `Retry-After` (else `X-RateLimit-Reset`). Secrets travel only in request bodies and
 * never reach an error.
 */
export function createRailwayClient(options: RailwayClientOptions): RailwayClient {
  const { provider } = options;
  return async function request<T>(input: RailwayRequest): Promise<T> {
    const answer = await fetchWithRetry({
      fetch: options.fetch,
      url: options.baseUrl,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ query: input.query, variables: input.variables }),
      },
      signal: input.signal,
      timeoutMs: options.requestTimeoutMs,
      retry: options.retry,
      // A network failure is retryable for the engine even for a mutation: deploy is
      // idempotent as a whole (it finds what an earlier attempt made), but the mutation itself
      // is not repeated here as it may have run. Mutations are repeated on 429 only.
      idempotent: !input.mutation,
      isRetryable: (answer) => isRetryableAnswer(provider, answer.status, parseBody(answer.text)),
      retryAfter: (headers, status) => (status === 429 || status >= 500 ? retryAfterMs(headers, { resetHeaders: ['x-ratelimit-reset'] }) : undefined),
      name: 'Railway request',
      provider,
    });
    return interpret<T>(provider, answer.status, answer.ok, parseBody(answer.text), answer.retryAfterMs);
  };
}

/** Whether core's retry should repeat an answer: a 429, or one {@link interpret} calls retryable. */
function isRetryableAnswer(provider: string, status: number, body: GraphqlBody | null): boolean {
  if (status === 429) return true;
  try {
    interpret(provider, status, status >= 200 && status < 300, body, undefined);
    return false;
  } catch (error) {
    return ProviderError.isInstance(error) && error.isRetryable;
  }
}
