import { CancelledError } from '../errors/cancelled-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { abortableDelay } from './abortable-delay.js';
import { errorMessage } from './error-message.js';
import { retryAfterMs } from './retry-after-ms.js';

/** How often and how patiently {@link fetchWithRetry} repeats a call. */
export interface RetryOptions {
  /** Attempts after the first. */
  maxRetries: number;
  /** The back-off before the first retry; it doubles per attempt, with jitter. */
  baseDelayMs: number;
  /**
   * The longest wait. A server hint (`Retry-After`) longer than this is not waited out: the
   * answer is returned, so the caller can hand the hint on (as `ProviderError.retryAfterMs`).
   */
  maxDelayMs: number;
}

/** One answer, with its body already read (within the attempt's deadline). */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  headers: Headers;
  /** The body as text; `''` when empty. */
  text: string;
  /** The server's wait hint, for answers {@link FetchWithRetryInput.isRetryable} repeats. */
  retryAfterMs: number | undefined;
  /** Attempts made, this one included. */
  attempts: number;
}

/** One call of {@link fetchWithRetry}. */
export interface FetchWithRetryInput {
  /** The `fetch` to use: the adapter's injected one, so tests can point it at a fake. */
  fetch: typeof fetch;
  url: string | URL;
  init?: Omit<RequestInit, 'signal'>;
  /** The caller's signal: aborting it rejects with `CancelledError`, also while waiting. */
  signal?: AbortSignal;
  /** Each attempt (request and body) is aborted after this many ms. */
  timeoutMs: number;
  retry: RetryOptions;
  /**
   * False for a call that may have taken effect although it failed (creating something with
   * no natural key): then a network failure or a 5xx is not repeated, only what
   * `isRetryable` accepts for an answer the server did not process (429). True by default.
   */
  idempotent?: boolean;
  /**
   * Whether an answer calls for another attempt; by default 429 and 5xx. It may also accept a
   * 200 whose body says the server failed (GraphQL). When the call is not idempotent, only a
   * 429 is repeated whatever this says.
   */
  isRetryable?: (answer: Omit<HttpAnswer, 'retryAfterMs' | 'attempts'>) => boolean;
  /** Reads a wait hint from a retryable answer; by default `Retry-After` ({@link retryAfterMs}). */
  retryAfter?: (headers: Headers, status: number) => number | undefined;
  /** Names the service and the call in errors, e.g. `Render GET /services`. */
  name: string;
  /** `ProviderError.provider` of network failures. */
  provider: string;
}

const defaultIsRetryable = (answer: { status: number }) => answer.status === 429 || answer.status >= 500;

/** Exponential back-off with equal jitter: between half and all of `base * 2^attempt`, capped. */
function backoffDelay(retry: RetryOptions, attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * The HTTP plumbing SaaS adapters share: a deadline per attempt through `AbortSignal`,
 * bounded retries with exponential back-off and jitter, the server's `Retry-After` honoured
 * (or handed back when longer than `retry.maxDelayMs`), and the body read as text so an
 * error answer can be described. It never throws for an HTTP status: the last answer is
 * returned and the adapter turns it into data or a typed error. A network failure or a
 * timeout that is not retried becomes a retryable `ProviderError` whose `details.reason` is
 * `'timeout'` or `'network'`; cancellation a `CancelledError`.
 *
 * @example
 * const answer = await fetchWithRetry({ fetch, url, init: { method: 'GET' }, timeoutMs: 30_000, retry: { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000 }, name: 'Acme GET /apps', provider: 'acme' });
 * if (!answer.ok) throw new ProviderError({ provider: 'acme', status: answer.status, retryAfterMs: answer.retryAfterMs, message: `Acme answered ${answer.status}: ${answer.text.slice(0, 200)}` });
 */
export async function fetchWithRetry(input: FetchWithRetryInput): Promise<HttpAnswer> {
  const { retry, signal } = input;
  const idempotent = input.idempotent ?? true;
  const isRetryable = input.isRetryable ?? defaultIsRetryable;
  const hintOf = input.retryAfter ?? ((headers: Headers) => retryAfterMs(headers));
  for (let attempt = 0; ; attempt += 1) {
    const timeout = AbortSignal.timeout(input.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await input.fetch(input.url, { ...input.init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw new CancelledError({ message: `${input.name} was cancelled`, cause: error });
      if (idempotent && attempt < retry.maxRetries) {
        await abortableDelay(backoffDelay(retry, attempt), signal);
        continue;
      }
      const reason = timeout.aborted ? `no answer within ${input.timeoutMs} ms` : errorMessage(error);
      throw new ProviderError({ provider: input.provider, isRetryable: true, message: `${input.name} failed: ${reason}`, cause: error, details: { reason: timeout.aborted ? 'timeout' : 'network' } });
    }
    const received = { status: response.status, ok: response.ok, headers: response.headers, text };
    const retryable = isRetryable(received);
    const answer: HttpAnswer = { ...received, retryAfterMs: retryable ? hintOf(response.headers, response.status) : undefined, attempts: attempt + 1 };
    // A 429 was not processed, so it is always safe to repeat; anything else may have been.
    const mayRepeat = retryable && (idempotent || response.status === 429);
    const delay = answer.retryAfterMs ?? backoffDelay(retry, attempt);
    if (!mayRepeat || attempt >= retry.maxRetries || delay > retry.maxDelayMs) return answer;
    await abortableDelay(delay, signal);
  }
}
