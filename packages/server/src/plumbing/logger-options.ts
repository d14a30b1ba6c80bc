import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { FastifyBaseLogger, FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * What a Vector listener accepts as `logger`: off, a level and an optional destination
 * stream (secret headers redacted), or your own pino-compatible instance.
 */
export type LoggerOption = boolean | { level?: string; stream?: { write(line: string): void } } | FastifyBaseLogger;

// Request headers as Fastify's serializers log them, and as application code tends to log them.
const redact = ['authorization', 'cookie', 'x-api-key', 'set-cookie'].flatMap((header) => [`req.headers["${header}"]`, `res.headers["${header}"]`, `headers["${header}"]`]);

// Stream tokens travel in the query string (`?access_token=`, for EventSource): keep them out of logged URLs.
const tokenInQuery = /([?&]access_token=)[^&#]*/gi;
const serializers = {
  /** Fastify's own request fields, with the URL's `access_token` redacted. */
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.replace(tokenInQuery, '$1[redacted]'),
    version: [request.headers?.['accept-version']].flat()[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};

/**
 * pino's `mixin`: a line logged inside a traced request (or any active span) carries its
 * `trace_id`, `span_id` and `trace_flags`, the names OpenTelemetry's log data model and
 * collectors' pino parsers use; nothing otherwise.
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: `0${spanContext.traceFlags.toString(16)}`.slice(-2) };
}

/** Fastify's `logger`/`loggerInstance` options for a {@link LoggerOption}, with secret headers (and `?access_token=`) redacted and trace ids on lines logged inside a span. */
export function loggerOptions(logger: LoggerOption | undefined): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  const value = logger ?? false;
  return typeof value === 'object' && 'info' in value && typeof value.info === 'function'
    ? { loggerInstance: value as FastifyBaseLogger }
    : { logger: value === false ? false : { ...(typeof value === 'object' ? value : {}), redact, serializers, mixin: traceMixin } };
}
