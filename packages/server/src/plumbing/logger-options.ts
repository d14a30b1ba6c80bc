import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/**
 * What a Vector listener accepts as `logger`: off, a level and an optional destination
 * stream (secret headers redacted), or your own pino-compatible instance.
 */
export type LoggerOption = boolean | { level?: string; stream?: { write(line: string): void } } | FastifyBaseLogger;

// Request headers as Fastify's serializers log them, and as application code tends to log them.
const redact = ['authorization', 'cookie', 'x-api-key', 'set-cookie'].flatMap((header) => [`req.headers["${header}"]`, `res.headers["${header}"]`, `headers["${header}"]`]);

/** Fastify's `logger`/`loggerInstance` options for a {@link LoggerOption}, with secret headers redacted. */
export function loggerOptions(logger: LoggerOption | undefined): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  const value = logger ?? false;
  return typeof value === 'object' && 'info' in value && typeof value.info === 'function'
    ? { loggerInstance: value as FastifyBaseLogger }
    : { logger: value === false ? false : { ...(typeof value === 'object' ? value : {}), redact } };
}
