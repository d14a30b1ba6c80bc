/** An error answer of the Vector API: `{ error: { code, message, details? } }` and its HTTP status. */
export class ApiError extends Error {
  /** The API's stable code, e.g. `CONFLICT`, `NOT_FOUND`; `NETWORK_ERROR` when no answer came. */
  readonly code: string;
  /** The HTTP status; 0 when the request never got an answer. */
  readonly status: number;
  readonly details: unknown;

  constructor(input: { status: number; code: string; message: string; details?: unknown; cause?: unknown }) {
    super(input.message, input.cause === undefined ? undefined : { cause: input.cause });
    this.name = 'ApiError';
    this.code = input.code;
    this.status = input.status;
    this.details = input.details;
  }
}

/** Reads an API error body, falling back to the status line when the body is not the API's shape. */
export function apiErrorFrom(status: number, statusText: string, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError({ status, code: error.code, message: error.message, details: error.details });
  }
  return new ApiError({ status, code: `HTTP_${status}`, message: statusText || `The server answered ${status}` });
}
