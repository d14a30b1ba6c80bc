import { createNoopMeter, type MeterProvider, metrics, ProxyTracerProvider, trace, type TracerProvider, ValueType } from '@opentelemetry/api';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { SERVER_METER_NAME } from './server-meter-name.js';

/** Tracing and metrics of the HTTP server (`buildServer({ telemetry })`). */
export interface ServerTelemetryOptions {
  /** Where HTTP spans go. Default: the globally registered tracer provider (a no-op without one). */
  tracerProvider?: TracerProvider;
  /** Where HTTP and SSE metrics go. Default: the globally registered meter provider (a no-op without one). */
  meterProvider?: MeterProvider;
}


/** Routes that only say the process is up: neither traced nor timed (probes would drown the rest). */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** HTTP latency buckets in seconds (the semantic conventions' advice for `http.server.request.duration`). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * True when spans would be recorded somewhere: a provider was given, or an SDK registered a
 * global one (the API's global provider is a proxy with no delegate until then).
 */
function tracingConfigured(options: ServerTelemetryOptions): boolean {
  if (options.tracerProvider) return true;
  const global = trace.getTracerProvider();
  return !(global instanceof ProxyTracerProvider) || global.getDelegateTracer(SERVER_METER_NAME) !== undefined;
}

/** True when metrics would be recorded somewhere: a provider was given, or an SDK registered a global one. */
function metricsConfigured(options: ServerTelemetryOptions): boolean {
  return options.meterProvider !== undefined || metrics.getMeterProvider().getMeter(SERVER_METER_NAME) !== createNoopMeter();
}

/**
 * A server span per request (`@fastify/otel`: named `<METHOD> <route>`, W3C trace context taken
 * from the request's `traceparent`, handlers run inside it so the jobs they post join its trace)
 * and the `http.server.request.duration` histogram by method, route and status. Lifecycle hooks
 * get no spans of their own. Attributes carry the method, route, path and status only: no
 * header, query or body value.
 *
 * Each half is installed only when its provider is real (given, or registered globally before
 * the server is built): without an SDK the server pays nothing per request, where even no-op
 * spans cost about a tenth of the files route's throughput (`bench/tracing.bench.mjs`).
 */
export const telemetryPlugin: FastifyPluginAsync<ServerTelemetryOptions> = fastifyPlugin(
  async (app: FastifyInstance, options: ServerTelemetryOptions) => {
    if (tracingConfigured(options)) await registerSpans(app, options);
    if (!metricsConfigured(options)) return;

    const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SERVER_METER_NAME);
    const duration = meter.createHistogram('http.server.request.duration', {
      description: 'Duration of HTTP server requests',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: HTTP_BUCKETS },
    });
    app.addHook('onResponse', async (request: FastifyRequest, reply) => {
      const route = request.routeOptions.url;
      if (route && UNTRACED.has(route)) return;
      duration.record(reply.elapsedTime / 1000, {
        'http.request.method': request.method,
        // Unmatched requests share one value: raw paths would make the series unbounded.
        'http.route': route ?? 'unmatched',
        'http.response.status_code': reply.statusCode,
      });
    });
  },
  { name: 'vector-telemetry' },
);

/** The request spans, from `@fastify/otel` (imported only then: a server without tracing never loads it). */
async function registerSpans(app: FastifyInstance, options: ServerTelemetryOptions): Promise<void> {
  const { FastifyOtelInstrumentation } = await import('@fastify/otel');
  const instrumentation = new FastifyOtelInstrumentation({
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: ({ url }) => UNTRACED.has(url.split('?')[0] ?? url),
    requestHook: (span, request) => {
      const route = request.routeOptions.url;
      if (route) span.updateName(`${request.method} ${route}`);
      // `url.path` as @fastify/otel records it includes the query string (stream tokens travel there).
      span.setAttribute('url.path', request.url.split('?')[0] ?? request.url);
    },
  });
  if (options.tracerProvider) instrumentation.setTracerProvider(options.tracerProvider);
  await app.register(instrumentation.plugin());
}
