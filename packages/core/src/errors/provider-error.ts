import { VectorError } from './vector-error.js';

/**
 * A remote service (GitHub, Railway, Render, a model endpoint) failed. `isRetryable` says
 * whether a later retry may succeed; `retryAfterMs` carries the service's hint when given.
 */
export class ProviderError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'PROVIDER_ERROR';
  readonly code = 'PROVIDER_ERROR';
  override readonly isRetryable: boolean;
  /** Which plugin or service failed, e.g. `railway`. */
  readonly provider: string;
  /** HTTP status of the failing answer, when there was one. */
  readonly status: number | undefined;
  /** The service's own retry hint in milliseconds, when given. */
  readonly retryAfterMs: number | undefined;
  constructor(options: {
    provider: string;
    message: string;
    status?: number;
    isRetryable?: boolean;
    retryAfterMs?: number;
    details?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super('ProviderError', {
      message: options.message,
      cause: options.cause,
      details: { provider: options.provider, ...(options.status === undefined ? {} : { status: options.status }), ...options.details },
    });
    this.provider = options.provider;
    this.status = options.status;
    this.isRetryable = options.isRetryable ?? (options.status === 429 || (options.status !== undefined && options.status >= 500));
    this.retryAfterMs = options.retryAfterMs;
  }
}
