import type { AgentJobEvent, Vector, VectorScope } from '@vector/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createSequenceFollower } from './follow-sequence.js';
import type { SseHub } from './sse-hub.js';

const terminal = new Set(['done', 'failed', 'cancelled']);

/**
 * Streams a job's events as SSE: persisted events after `lastSequence` first, then live ones,
 * without gaps or duplicates (the live subscription starts before the replay; overlaps are
 * dropped by sequence, gaps re-read from the database). Ends after the terminal event.
 * The job must already have been looked up in the caller's scope (so 404s answer as JSON).
 */
export async function streamJobEvents(input: {
  vector: Vector;
  scope: VectorScope;
  hub: SseHub;
  jobId: string;
  lastSequence: number;
  request: FastifyRequest;
  reply: FastifyReply;
}): Promise<void> {
  const { vector, scope, jobId } = input;
  const stream = input.hub.open(input.request, input.reply);
  const follower = createSequenceFollower<AgentJobEvent>({
    startAfter: input.lastSequence,
    readAfter: (after) => scope.agent.listJobEvents(jobId, { afterSequence: after, limit: 500 }),
    deliver: (event) => {
      stream.send({ id: event.sequence, event: event.data.type, data: event });
      if (terminal.has(event.data.type)) stream.close();
    },
    onError: (error) => {
      input.request.log.warn({ err: error, jobId }, 'job event stream failed');
      stream.send({ event: 'error', data: { error: { code: 'INTERNAL', message: 'The event stream failed; reconnect with Last-Event-ID' } } });
      stream.close();
    },
  });
  const onEvent = (payload: { jobId: string; event: AgentJobEvent }) => {
    if (payload.jobId === jobId) follower.push(payload.event);
  };
  vector.events.on('job.event', onEvent);
  stream.onClose(() => {
    follower.stop();
    vector.events.off('job.event', onEvent);
  });
  await follower.replay();
  // A finished job whose terminal event the client already had: nothing more will come.
  if (!stream.closed) {
    const job = await scope.agent.getJob(jobId);
    if (job.status === 'complete' || job.status === 'failed' || job.status === 'cancelled') {
      await follower.replay();
      stream.close();
    }
  }
}
