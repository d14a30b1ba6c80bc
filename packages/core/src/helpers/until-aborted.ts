import { CancelledError } from '../errors/cancelled-error.js';

/**
 * Resolves or rejects like `promise`, but rejects with `CancelledError` (the signal's reason as
 * `cause`) as soon as `signal` aborts. For waiting on work shared by several callers (a lookup
 * made once), which cannot take one caller's signal. `promise` itself is not stopped.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, message = 'Cancelled while waiting'): Promise<T> {
  if (!signal) return promise;
  const cancelled = () => new CancelledError({ message, cause: signal.reason });
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
