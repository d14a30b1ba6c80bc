import { context, propagation, trace } from '@opentelemetry/api';

/** Trace export set up by {@link startTracing}. */
export interface Tracing {
  /** Exports the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers OpenTelemetry tracing for this process, as the CLI does when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: a tracer
 * provider exporting over OTLP/HTTP in batches (the exporter reads the standard
 * `OTEL_EXPORTER_OTLP_*` variables; `exportDelayMs` is the time between batches, default 5 s), an AsyncLocalStorage context
 * manager, and the W3C trace-context and baggage propagators, all as the global ones. The SDK
 * is imported only then. Call it before creating the engine and the server.
 */
export async function startTracing(settings: { serviceName: string; exportDelayMs?: number }): Promise<Tracing> {
  const [{ BatchSpanProcessor, TracerProvider }, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
    ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...(settings.exportDelayMs ? { scheduledDelayMillis: settings.exportDelayMs } : {}) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}
