import { z } from 'zod';
import { parseInput } from '../../errors/from-zod.js';
import type { JobHandler, JobQueue } from './job-queue.js';

const optionsSchema = z.object({ concurrency: z.number().int().min(1).max(64).default(2) });

/**
 * The default queue: jobs run in this process, `concurrency` at a time. Nothing survives a
 * restart here by itself — the engine re-enqueues every `queued` job row on `start()`.
 */
export function createInProcessQueue(options: z.input<typeof optionsSchema> = {}): JobQueue {
  const { concurrency } = parseInput(optionsSchema, options, 'in-process queue options');
  const pending: string[] = [];
  const inFlight = new Map<string, Promise<void>>();
  // Enqueued again while a run of theirs is still in flight here (a stalled run whose job was
  // taken back and queued anew): run once more after it ends. Only a queued job is claimed, so
  // a repeat of a job that has finished does nothing.
  const again = new Set<string>();
  let handler: JobHandler | null = null;

  const pump = () => {
    while (handler && inFlight.size < concurrency && pending.length > 0) {
      const jobId = pending.shift() as string;
      const run = handler(jobId)
        .catch(() => undefined)
        .finally(() => {
          inFlight.delete(jobId);
          if (again.delete(jobId) && !pending.includes(jobId)) pending.push(jobId);
          pump();
        });
      inFlight.set(jobId, run);
    }
  };

  return {
    async start(next) {
      handler = next;
      pump();
    },
    async enqueue(jobId) {
      if (inFlight.has(jobId)) again.add(jobId);
      else if (!pending.includes(jobId)) pending.push(jobId);
      pump();
    },
    async stop() {
      handler = null;
      again.clear();
      await Promise.all(inFlight.values());
    },
  };
}
