import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnauthorizedError } from '@vector/core';
import type { FastifyInstance } from 'fastify';

/** Something that answers a Prometheus scrape: `@opentelemetry/exporter-prometheus`'s `PrometheusExporter`. */
export interface PrometheusHandler {
  getMetricsRequestHandler(request: IncomingMessage, response: ServerResponse): void;
}

/** Options of `buildServer({ metrics })`. */
export interface MetricsEndpointOptions {
  /** The exporter (a metric reader of the meter provider the engine and server record on), created with `preventServerStart: true`. */
  exporter: PrometheusHandler;
  /** The bearer token a scrape must present (`VECTOR_METRICS_TOKEN`): an operator secret, not an API key. */
  token: string;
}

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `GET /metrics` in Prometheus's text format, for a scraper holding the metrics token. */
export async function metricsRoutes(app: FastifyInstance, options: MetricsEndpointOptions): Promise<void> {
  app.get('/metrics', {
    config: { auth: false, rateLimit: false },
    schema: { tags: ['health'], summary: 'Prometheus metrics (with the metrics token, not an API key)', hide: true },
    handler: async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!token || !sameSecret(token, options.token)) throw new UnauthorizedError({ message: 'GET /metrics needs Authorization: Bearer <VECTOR_METRICS_TOKEN>' });
      reply.hijack();
      options.exporter.getMetricsRequestHandler(request.raw, reply.raw);
    },
  });
}
