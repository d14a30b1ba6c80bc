const marker = Symbol.for('vector.error');

/** Options every Vector error accepts. */
export interface VectorErrorOptions {
  /** Human-readable message; say what was wrong and how to fix it. */
  message: string;
  /** The underlying error, always kept so nothing is lost when errors are wrapped. */
  cause?: unknown;
  /** Structured, JSON-safe details (field paths, ids, limits). Never secrets. */
  details?: Record<string, unknown>;
}

/**
 * The one base class of every error Vector throws.
 *
 * Each subclass carries a stable UPPER_SNAKE `code` that is never reused for another
 * meaning, so callers (and the HTTP server) can branch on it. `isInstance` works across
 * duplicate installs of `@vector/core` because it checks a `Symbol.for` marker, not the
 * prototype chain.
 */
export abstract class VectorError extends Error {
  /** Stable machine-readable code, e.g. `NOT_FOUND`. */
  abstract readonly code: string;
  /** Whether retrying the same call later may succeed (remote outages, rate limits). */
  readonly isRetryable: boolean = false;
  /** Structured details for clients and logs. */
  readonly details: Record<string, unknown> | undefined;
  private readonly [marker] = true;

  protected constructor(name: string, options: VectorErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.details = options.details;
  }

  /**
   * True for a Vector error of this class, including one from another copy of this package:
   * `VectorError.isInstance` accepts any Vector error, `ConflictError.isInstance` only errors
   * whose `code` is `CONFLICT`.
   */
  static isInstance<T extends VectorError>(this: { prototype: T }, error: unknown): error is T {
    if (typeof error !== 'object' || error === null || !(marker in error) || (error as Record<symbol, unknown>)[marker] !== true) return false;
    const expected = (this as unknown as { code?: unknown }).code;
    return typeof expected !== 'string' || (error as { code?: unknown }).code === expected;
  }

  /** A JSON-safe view: code, message, details. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
