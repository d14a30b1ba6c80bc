import { type AgentJob, type AgentJobEvent, isTerminalJobStatus, type Vector, type VectorScope } from '@vector/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventFeed } from './event-feed.js';
import { createSequenceFollower } from './follow-sequence.js';
import { encodeSseFrame, type SseHub } from './sse-hub.js';

const terminalEvents = new Set(['done', 'failed', 'cancelled']);

// One bus listener per engine routes each job's events to that job's streams, so an event costs
// nothing for the streams of other jobs (with 1,000 streams open, a listener each would not).
type JobEventListener = (event: AgentJobEvent) => void;
const routes = new WeakMap<Vector['events'], Map<string, Set<JobEventListener>>>();
function onJobEvents(events: Vector['events'], jobId: string, listener: JobEventListener): () => void {
  let byJob = routes.get(events);
  if (!byJob) {
    const table = new Map<string, Set<JobEventListener>>();
    events.on('job.event', (payload) => {
      for (const each of table.get(payload.jobId) ?? []) {
        try {
          each(payload.event);
        } catch {
          // One stream's failure must not keep the event from the others; the stream reports its own.
        }
      }
    });
    routes.set(events, table);
    byJob = table;
  }
  const listeners = byJob.get(jobId) ?? new Set<JobEventListener>();
  byJob.set(jobId, listeners);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    // Each stream unsubscribes once (its onClose runs once), so an emptied set is still its job's entry.
    if (listeners.size === 0) byJob.delete(jobId);
  };
}

/** How many jobs have streams following their live events on `events`: none once every stream has closed (for tests and diagnostics). */
export function jobsWithLiveStreams(events: Vector['events']): number {
  return routes.get(events)?.size ?? 0;
}

// A live event reaches every stream of its job as the same object: encode it once for all of them.
const frames = new WeakMap<AgentJobEvent, string>();
function frameOf(event: AgentJobEvent): string {
  let frame = frames.get(event);
  // Stryker disable next-line ConditionalExpression: the cache only saves encoding work; every stream gets the same text either way
  if (frame === undefined) {
    frame = encodeSseFrame({ id: event.sequence, event: event.data.type, data: event });
    // Stryker disable next-line all: without the cache each stream encodes the same text itself
    frames.set(event, frame);
  }
  return frame;
}

/**
 * The client's `Last-Event-ID`, or the job's last persisted sequence when the client claims
 * more than exists (another job's id, a restored database): trusting it would drop every
 * event still to come, including the terminal one, and the stream would never end.
 */
async function clampToExisting(scope: VectorScope, jobId: string, requested: number): Promise<number> {
  if (requested === 0) return 0;
  const [atOrAfter] = await scope.agent.listJobEvents(jobId, { afterSequence: requested - 1, limit: 1 });
  if (atOrAfter) return requested;
  let last = 0;
  for (;;) {
    const page = await scope.agent.listJobEvents(jobId, { afterSequence: last, limit: 500 });
    const tail = page.at(-1);
    if (!tail) return last;
    last = tail.sequence;
  }
}

/**
 * Streams a job's events as SSE: persisted events after `lastSequence` first, then live ones,
 * without gaps or duplicates (the live subscription starts before the replay; overlaps are
 * dropped by sequence, gaps re-read from the database). Ends after the terminal event — and
 * in any case once the job is over (a terminal `job.updated`, or a re-read after the event
 * feed resynced), after delivering whatever the database has that the client lacks.
 * A job already over with nothing the client lacks answers 204 instead of a stream: that is
 * what makes a browser's `EventSource` stop reconnecting after the end.
 * The job must already have been looked up in the caller's scope (so 404s answer as JSON).
 */
export async function streamJobEvents(input: {
  vector: Vector;
  scope: VectorScope;
  hub: SseHub;
  eventFeed?: EventFeed | undefined;
  job: AgentJob;
  lastSequence: number;
  request: FastifyRequest;
  reply: FastifyReply;
}): Promise<void> {
  const { vector, scope } = input;
  const jobId = input.job.id;
  if (isTerminalJobStatus(input.job.status)) {
    // The terminal event is written with the job's final status, so it is there to compare with.
    const after = await clampToExisting(scope, jobId, input.lastSequence);
    const [missing] = await scope.agent.listJobEvents(jobId, { afterSequence: after, limit: 1 });
    if (!missing) {
      await input.reply.code(204).send();
      return;
    }
  }
  const stream = input.hub.open(input.request, input.reply);
  const fail = (error: unknown) => {
    if (stream.closed) return;
    input.request.log.warn({ err: error, jobId }, 'job event stream failed');
    stream.send({ event: 'error', data: { error: { code: 'INTERNAL', message: 'The event stream failed; reconnect with Last-Event-ID' } } });
    stream.close();
  };
  const follower = createSequenceFollower<AgentJobEvent>({
    // Answers 0 at once for 0 (no read); events cannot arrive before the catch-up below is queued anyway.
    startAfter: () => clampToExisting(scope, jobId, input.lastSequence),
    readAfter: (after) => scope.agent.listJobEvents(jobId, { afterSequence: after, limit: 500 }),
    deliver: (event) => {
      stream.sendFrame(frameOf(event));
      if (terminalEvents.has(event.data.type)) stream.close();
    },
    onError: fail,
  });
  // Catches up from the database, then ends the stream if the job is over. The terminal event is
  // written in the transaction that ends the job, so the catch-up delivers it when the client lacks it.
  const settle = async (known?: AgentJob) => {
    await follower.replay();
    if (stream.closed) return;
    const job = known ?? (await scope.agent.getJob(jobId));
    if (!isTerminalJobStatus(job.status)) return;
    await follower.replay();
    stream.close();
  };

  const onUpdate = (payload: { job: AgentJob }) => {
    // Re-read rather than trust the payload: the bus may deliver updates out of order.
    if (payload.job.id === jobId && isTerminalJobStatus(payload.job.status)) settle().catch(fail);
  };
  const stopEvents = onJobEvents(vector.events, jobId, (event) => follower.push(event));
  vector.events.on('job.updated', onUpdate);
  const stopResync = input.eventFeed?.onResync(() => void settle().catch(fail));
  stream.onClose(() => {
    follower.stop();
    stopEvents();
    vector.events.off('job.updated', onUpdate);
    stopResync?.();
  });
  await settle().catch(fail);
}
