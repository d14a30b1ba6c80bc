import { CancelledError } from '../errors/cancelled-error.js';

/**
 * Waits `ms` milliseconds, or rejects with `CancelledError` (the signal's reason as `cause`)
 * as soon as `signal` aborts. For plugins' retry back-off, so a cancelled job never sleeps on.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => new CancelledError({ message: 'Cancelled while waiting to retry', cause: signal?.reason });
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
