// What both benchmark targets share: an IPC request loop with the parent process, and a clock
// that compares across processes (milliseconds since the epoch, sub-millisecond resolution).
import { performance } from 'node:perf_hooks';

/** Milliseconds since the epoch, comparable between the bench's processes. */
export const clock = () => performance.timeOrigin + performance.now();

/**
 * Answers the parent's requests: `{ id, type, ...input }` → `{ id, result }` or `{ id, error }`.
 * `rss` is answered for every target; `handlers` add the rest. `ready` is sent once.
 */
export function serveParent(ready, handlers) {
  const all = { rss: () => process.memoryUsage().rss, ...handlers };
  process.on('message', async (message) => {
    try {
      const handler = all[message.type];
      if (!handler) throw new Error(`unknown request ${message.type}`);
      process.send({ id: message.id, result: await handler(message) });
    } catch (error) {
      process.send({ id: message.id, error: String(error?.stack ?? error) });
    }
  });
  process.send({ type: 'ready', ...ready });
}
