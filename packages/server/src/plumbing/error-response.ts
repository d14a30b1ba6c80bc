import { VectorError } from '@vector/core';

/** The one JSON shape every error answer of the server has. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const statusByCode: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CANCELLED: 409,
  LIMIT_EXCEEDED: 422,
  // Payment Required: the spending ceiling is reached (a job's own budget ends the job, not a request).
  BUDGET_EXCEEDED: 402,
  UNSUPPORTED: 422,
  RATE_LIMITED: 429,
  PROVIDER_ERROR: 502,
  INTERNAL: 500,
};

/** An error turned into an HTTP answer: status, body and optional headers. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
}

function issuesOf(validation: unknown): Array<{ path: string[]; message: string }> {
  if (!Array.isArray(validation)) return [];
  return validation.slice(0, 50).map((item: { instancePath?: unknown; message?: unknown; params?: { issue?: { path?: unknown } } }) => {
    const issuePath = item.params?.issue?.path;
    const path = Array.isArray(issuePath) ? issuePath.map(String) : String(item.instancePath ?? '').split('/').filter(Boolean);
    return { path, message: String(item.message ?? 'invalid') };
  });
}

/**
 * Maps any thrown value to the server's error answer: Vector errors by their code, Fastify's
 * own errors (schema validation, bad JSON, body too large, rate limit) onto the same codes,
 * anything else to a 500 whose message hides the internals.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (VectorError.isInstance(error)) {
    const status = statusByCode[error.code] ?? 500;
    const headers: Record<string, string> = {};
    const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof retryAfterMs === 'number' && retryAfterMs > 0) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    const message = status === 500 ? 'Internal server error' : error.message;
    return { status, headers, body: { error: status === 500 ? { code: 'INTERNAL', message } : error.toJSON() } };
  }
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  const message = typeof candidate.message === 'string' ? candidate.message : 'Request failed';
  if (candidate.validation !== undefined) {
    return { status: 400, headers: {}, body: { error: { code: 'VALIDATION_FAILED', message: `Invalid request: ${message}`, details: { issues: issuesOf(candidate.validation) } } } };
  }
  const statusCode = typeof candidate.statusCode === 'number' ? candidate.statusCode : 500;
  if (statusCode === 413) return { status: 413, headers: {}, body: { error: { code: 'LIMIT_EXCEEDED', message, details: { limit: 'body_size' } } } };
  if (statusCode === 429) return { status: 429, headers: {}, body: { error: { code: 'RATE_LIMITED', message } } };
  if (statusCode === 404) return { status: 404, headers: {}, body: { error: { code: 'NOT_FOUND', message } } };
  if (statusCode === 415) return { status: 415, headers: {}, body: { error: { code: 'VALIDATION_FAILED', message } } };
  if (statusCode >= 400 && statusCode < 500) return { status: statusCode, headers: {}, body: { error: { code: 'VALIDATION_FAILED', message } } };
  return { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'Internal server error' } } };
}
