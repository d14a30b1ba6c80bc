import type { Deployment, DeploymentLog, Vector, VectorScope } from '@vector/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventFeed } from './event-feed.js';
import { createSequenceFollower } from './follow-sequence.js';
import type { SseHub } from './sse-hub.js';

const finished = new Set<Deployment['status']>(['failed', 'destroyed']);

/**
 * Streams a deployment's log lines as SSE (id = log sequence), replaying stored lines after
 * `lastSequence` and then following new ones; `status` events report status changes (each
 * distinct status once, in order). Ends when the deployment failed or was destroyed; a live
 * deployment's stream stays open for runtime logs until the client leaves.
 */
export async function streamDeploymentLogs(input: {
  vector: Vector;
  scope: VectorScope;
  hub: SseHub;
  eventFeed?: EventFeed | undefined;
  deployment: Deployment;
  lastSequence: number;
  request: FastifyRequest;
  reply: FastifyReply;
}): Promise<void> {
  const { vector, scope } = input;
  const deploymentId = input.deployment.id;
  const stream = input.hub.open(input.request, input.reply);
  const fail = (error: unknown) => {
    if (stream.closed) return;
    input.request.log.warn({ err: error, deploymentId }, 'deployment log stream failed');
    stream.close();
  };
  const follower = createSequenceFollower<DeploymentLog>({
    startAfter: input.lastSequence,
    readAfter: (after) => scope.deployments.listLogs(deploymentId, { afterSequence: after, limit: 500 }),
    deliver: (log) => stream.send({ id: log.sequence, event: 'log', data: log }),
    onError: fail,
  });
  let latest: Deployment | null = null;
  // Reads and events race; keep the newest state, so a slow read never reports an older status after a newer one.
  const report = (deployment: Deployment): Deployment => {
    if (latest && (deployment.updatedAt < latest.updatedAt || finished.has(latest.status))) return latest;
    const changed = !latest || latest.status !== deployment.status || latest.url !== deployment.url || latest.error?.code !== deployment.error?.code;
    latest = deployment;
    if (changed) stream.send({ event: 'status', data: { status: deployment.status, url: deployment.url, error: deployment.error } });
    return deployment;
  };
  const settle = async (update: Deployment) => {
    const deployment = report(update);
    // Let queued log deliveries drain before ending.
    await follower.replay();
    if (finished.has(deployment.status)) stream.close();
  };
  const onLog = (payload: { deploymentId: string; log: DeploymentLog }) => {
    if (payload.deploymentId === deploymentId) follower.push(payload.log);
  };
  const onUpdate = (payload: { deployment: Deployment }) => {
    if (payload.deployment.id === deploymentId) settle(payload.deployment).catch(fail);
  };
  // After a gap in the event feed, the database is the truth for both status and logs.
  const reread = () => scope.deployments.get(deploymentId).then(settle);
  vector.events.on('deployment.log', onLog);
  vector.events.on('deployment.updated', onUpdate);
  const stopResync = input.eventFeed?.onResync(() => void reread().catch(fail));
  stream.onClose(() => {
    follower.stop();
    vector.events.off('deployment.log', onLog);
    vector.events.off('deployment.updated', onUpdate);
    stopResync?.();
  });
  // Read again now that we are subscribed: a change between the route's read and the
  // subscription would otherwise be missed, and the stream would never see its final status.
  await reread().catch(fail);
}
