import { type Attributes, type Context, context, type MeterProvider, metrics, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { errorInfo } from '../error-info.js';
import { createEngineMetrics, type EngineMetrics } from './engine-metrics.js';

/**
 * OpenTelemetry tracing of the engine. Core depends only on `@opentelemetry/api`: the embedder
 * registers an SDK (and an exporter); without one, every span is the API's no-op and costs
 * nothing. Span names and attributes are listed in `docs/observability.md` and are stable.
 *
 * Privacy: attributes carry ids, names, counts, statuses and error codes, never prompt text,
 * file content, secrets or header values (unless `recordPrompts` is on, which adds the user's
 * message to model spans).
 */

/** The instrumentation scope every Vector span and metric is recorded under. */
export const VECTOR_TRACER_NAME = '@vector/core';
/** The instrumentation scope's version (kept with `packages/core/package.json`). */
const VECTOR_TRACER_VERSION = '0.1.0';

/** Tracing options of {@link createVector}. */
export interface TelemetryOptions {
  /**
   * Adds the job's user message to each model span (as `gen_ai.input.messages`). Off by
   * default: prompts often hold personal or confidential text, and traces usually travel to
   * a third party. Turn it on only where the trace backend may hold what users type.
   */
  recordPrompts?: boolean;
  /** Where spans go. Default: the globally registered tracer provider (a no-op without one). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the globally registered meter provider (a no-op without one). */
  meterProvider?: MeterProvider;
}

/** The engine's tracer, meters and tracing settings; one per engine. */
export interface EngineTelemetry {
  tracer: Tracer;
  metrics: EngineMetrics;
  recordPrompts: boolean;
}

/** The engine's telemetry, from the given providers or the globally registered ones (no-ops without any). */
export function createEngineTelemetry(options: TelemetryOptions = {}): EngineTelemetry {
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const meterProvider = options.meterProvider ?? metrics.getMeterProvider();
  return {
    tracer: tracerProvider.getTracer(VECTOR_TRACER_NAME, VECTOR_TRACER_VERSION),
    metrics: createEngineMetrics(meterProvider.getMeter(VECTOR_TRACER_NAME, VECTOR_TRACER_VERSION)),
    recordPrompts: options.recordPrompts ?? false,
  };
}

/**
 * The active trace context as the global propagator writes it (with the W3C propagator:
 * `traceparent` and `tracestate`), serialised for a job row; null outside any span.
 */
export function captureTraceContext(): string | null {
  const active = context.active();
  if (!trace.getSpan(active)) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null;
}

/** The context a stored carrier (from {@link captureTraceContext}) names; the root context when none or unreadable. */
export function restoreTraceContext(stored: string | null | undefined): Context {
  if (!stored) return ROOT_CONTEXT;
  try {
    const parsed: unknown = JSON.parse(stored);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ROOT_CONTEXT;
    const carrier = Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    return propagation.extract(ROOT_CONTEXT, carrier);
  } catch {
    return ROOT_CONTEXT;
  }
}

/** Marks `span` failed with the error's stable code (never its message, which may quote user input). */
export function recordSpanFailure(span: Span, error: unknown): void {
  const { code } = errorInfo(error);
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/**
 * Runs `work` inside a new active span named `name`, child of `parent` (default: the active
 * context). The span ends when `work` settles; a throw marks it failed and is rethrown.
 */
export function withSpan<T>(
  telemetry: EngineTelemetry,
  name: string,
  options: { attributes?: Attributes; parent?: Context; kind?: SpanKind },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return telemetry.tracer.startActiveSpan(name, { attributes: options.attributes ?? {}, kind: options.kind ?? SpanKind.INTERNAL }, options.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordSpanFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
