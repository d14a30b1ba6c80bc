const marker = Symbol.for('vector.data-client.error');

/** What a {@link DataClientError} is made from. */
export interface DataClientErrorOptions {
  /** What went wrong, in words; the server's message when it sent one. Never holds the token. */
  message: string;
  /** The HTTP status of the response; `0` when no response arrived (network failure). */
  status: number;
  /** The server's stable UPPER_SNAKE code (`VALIDATION_FAILED`, `NOT_FOUND`, …) or one of the client's own. */
  code: string;
  /** The server's structured details (field paths, the table and operation refused, …). */
  details?: Record<string, unknown>;
  /** How long the server asked to wait before trying again (from `retry-after`), in milliseconds. */
  retryAfterMs?: number;
  /** The underlying error (a network failure, an unparsable body), kept as `cause`. */
  cause?: unknown;
}

/**
 * The one error `@vector/data-client` throws, for every failed call: a non-2xx answer of the data
 * API, an answer that isn't the JSON the contract promises, or a request that never got an answer.
 *
 * `code` is the server's own (`VALIDATION_FAILED` 400, `UNAUTHORIZED` 401, `FORBIDDEN` 403,
 * `NOT_FOUND` 404, `CONFLICT` 409, `RATE_LIMITED` 429, …); when the server sent no error body it is
 * derived from the status (`HTTP_502`, …). The client adds two codes of its own: `NETWORK_ERROR`
 * (status `0`: the request failed before any answer; `cause` holds why) and `INVALID_RESPONSE` (a
 * successful status whose body isn't the JSON expected).
 *
 * Creating a client without a URL or token throws a plain `Error` instead: that is a setup mistake,
 * not a failed call.
 */
export class DataClientError extends Error {
  /** The HTTP status; `0` when no response arrived. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `NOT_FOUND`. */
  readonly code: string;
  /** The server's structured details, when it sent any. */
  readonly details: Record<string, unknown> | undefined;
  /** The wait the server asked for before a retry (its `retry-after` header), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Whether the same call may succeed later: rate limits, gateway errors and network failures. */
  readonly isRetryable: boolean;
  private readonly [marker] = true;

  constructor(options: DataClientErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataClientError';
    this.status = options.status;
    this.code = options.code;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
    this.isRetryable = options.status === 0 || options.status === 429 || options.status === 502 || options.status === 503 || options.status === 504;
  }

  /** True for a `DataClientError`, including one from another copy of this package (it checks a `Symbol.for` marker). */
  static isInstance(error: unknown): error is DataClientError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
