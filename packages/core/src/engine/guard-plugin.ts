import { CancelledError } from '../errors/cancelled-error.js';
import { InternalError } from '../errors/internal-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { VectorError } from '../errors/vector-error.js';
import { errorMessage } from '../helpers/error-message.js';

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
 * Vector's error classes, so adapters need not do it and callers see stable codes.
 */
export function guardPlugin<T extends { specificationVersion?: unknown }>(kind: string, name: string, plugin: T): T {
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
          result = (value as (...inner: unknown[]) => unknown).apply(target, args);
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
