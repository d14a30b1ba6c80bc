import type { Deployment, DeploymentLog, Vector, VectorScope } from '@vector/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createSequenceFollower } from './follow-sequence.js';
import type { SseHub } from './sse-hub.js';

const finished = new Set(['failed', 'destroyed']);

/**
 * Streams a deployment's log lines as SSE (id = log sequence), replaying stored lines after
 * `lastSequence` and then following new ones; `status` events report status changes. Ends
 * when the deployment failed or was destroyed; a live deployment's stream stays open for
 * runtime logs until the client leaves.
 */
export async function streamDeploymentLogs(input: {
  vector: Vector;
  scope: VectorScope;
  hub: SseHub;
  deployment: Deployment;
  lastSequence: number;
  request: FastifyRequest;
  reply: FastifyReply;
}): Promise<void> {
  const { vector, scope, deployment } = input;
  const stream = input.hub.open(input.request, input.reply);
  const follower = createSequenceFollower<DeploymentLog>({
    startAfter: input.lastSequence,
    readAfter: (after) => scope.deployments.listLogs(deployment.id, { afterSequence: after, limit: 500 }),
    deliver: (log) => stream.send({ id: log.sequence, event: 'log', data: log }),
    onError: (error) => {
      input.request.log.warn({ err: error, deploymentId: deployment.id }, 'deployment log stream failed');
      stream.close();
    },
  });
  const onLog = (payload: { deploymentId: string; log: DeploymentLog }) => {
    if (payload.deploymentId === deployment.id) follower.push(payload.log);
  };
  const onUpdate = (payload: { deployment: Deployment }) => {
    if (payload.deployment.id !== deployment.id) return;
    stream.send({ event: 'status', data: { status: payload.deployment.status, url: payload.deployment.url, error: payload.deployment.error } });
    // Let queued log deliveries drain before ending.
    if (finished.has(payload.deployment.status)) void follower.replay().then(() => stream.close());
  };
  vector.events.on('deployment.log', onLog);
  vector.events.on('deployment.updated', onUpdate);
  stream.onClose(() => {
    follower.stop();
    vector.events.off('deployment.log', onLog);
    vector.events.off('deployment.updated', onUpdate);
  });
  stream.send({ event: 'status', data: { status: deployment.status, url: deployment.url, error: deployment.error } });
  await follower.replay();
  if (finished.has(deployment.status)) stream.close();
}
