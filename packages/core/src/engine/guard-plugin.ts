import { CancelledError } from '../errors/cancelled-error.js';
import { InternalError } from '../errors/internal-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { VectorError } from '../errors/vector-error.js';
import { errorMessage } from '../helpers/error-message.js';
import { type Attributes, context, SpanKind, trace } from '@opentelemetry/api';
import { type EngineTelemetry, recordSpanFailure } from './telemetry/engine-telemetry.js';

/** Spans for a plugin's calls: `<prefix>.<method>` with `attributes` (ids and names only, never arguments). */
export interface PluginTracing {
  telemetry: EngineTelemetry;
  prefix: string;
  attributes: Attributes;
  /** Methods the engine already records a span of its own for. */
  skip?: readonly string[];
}

/**
 * Calls `call` inside a child span of the active one, ended when its promise settles (at once for
 * anything else). Without a recording span active (no SDK, or a call outside any request or job)
 * no span is made: a plugin call alone is not worth a trace, and without an SDK it costs nothing.
 */
function traced(tracing: PluginTracing | undefined, method: string, call: () => unknown): unknown {
  if (!tracing || tracing.skip?.includes(method) || !trace.getSpan(context.active())?.isRecording()) return call();
  return tracing.telemetry.tracer.startActiveSpan(`${tracing.prefix}.${method}`, { kind: SpanKind.CLIENT, attributes: tracing.attributes }, (span) => {
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      recordSpanFailure(span, error);
      span.end();
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordSpanFailure(span, error);
          span.end();
          throw error;
        },
      );
    }
    span.end();
    return result;
  });
}

/** Turns anything a plugin throws into a Vector error, keeping the original as `cause`. */
function mapPluginError(kind: string, name: string, error: unknown): unknown {
  if (VectorError.isInstance(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') return new CancelledError({ message: `${kind} ${name} was cancelled`, cause: error });
  const detail = errorMessage(error);
  return new InternalError({ message: `${kind} ${name} failed: ${detail}`, cause: error, details: { plugin: name, kind } });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function* guardIterable(kind: string, name: string, iterable: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  try {
    // yield* forwards return() as well, so a consumer that stops early still ends the plugin's loop.
    yield* iterable;
  } catch (error) {
    throw mapPluginError(kind, name, error);
  }
}

/**
 * The one wrapper through which the engine calls plugins: it checks the contract version,
 * and maps whatever a plugin throws (synchronously, from a promise, or mid-stream) onto
 * Vector's error classes, so adapters need not do it and callers see stable codes. With
 * `tracing`, each call made inside a recording span gets a child span of its own.
 */
export function guardPlugin<T extends { specificationVersion?: unknown }>(kind: string, name: string, plugin: T, tracing?: PluginTracing): T {
  if (plugin?.specificationVersion !== 'v1') {
    throw new ValidationError({
      message: `${kind} ${name} implements specification ${String(plugin?.specificationVersion)}; this version of @vector/core supports v1`,
      issues: [{ path: ['specificationVersion'], message: 'unsupported' }],
    });
  }
  return new Proxy(plugin, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = traced(tracing, String(property), () => (value as (...inner: unknown[]) => unknown).apply(target, args));
        } catch (error) {
          throw mapPluginError(kind, name, error);
        }
        if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(mapPluginError(kind, name, error)));
        if (isAsyncIterable(result)) return guardIterable(kind, name, result);
        return result;
      };
    },
  });
}
