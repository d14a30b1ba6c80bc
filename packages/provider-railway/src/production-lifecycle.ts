import { isRailwayNotFound } from './railway-client.js';
import type { RailwayDeploymentRef } from './railway-deployment-ref.js';
import type { RailwayApi } from './railway-api.js';
import type { RailwayDeployment } from './railway-types.js';

/** Railway statuses of a deployment that has not settled yet. */
const IN_PROGRESS = new Set(['QUEUED', 'WAITING', 'INITIALIZING', 'NEEDS_APPROVAL', 'BUILDING', 'DEPLOYING']);
/** Railway statuses of a deployment that serves its service's URL. */
const SERVING = new Set(['SUCCESS', 'SLEEPING']);

type Instance = Pick<RailwayDeploymentRef, 'projectId' | 'environmentId' | 'serviceId'>;

/**
 * The shared production service's lifecycle. Railway runs one deployment per service
 * instance: a new deployment replaces the running one once it is up (health-checked when a
 * path is set), and the old one becomes REMOVED. So core's zero-downtime rule maps onto it
 * like Render's: when core retires a superseded production deployment, Railway has already
 * taken it down (or is about to); only the live one of a project with nothing newer is taken
 * down by deleting the service. Core retires each superseded deployment once a newer one is
 * live, so destroying an older deployment never deletes the service that serves the new one.
 */
export function createProductionLifecycle(apiOf: () => RailwayApi) {
  /** Service id → the live deployment destroyed while a newer one was still being built. */
  const pendingTeardowns = new Map<string, RailwayDeploymentRef>();

  async function deleteService(serviceId: string): Promise<void> {
    try {
      await apiOf().deleteService(serviceId);
    } catch (error) {
      if (!isRailwayNotFound(error)) throw error;
    }
  }

  return {
    /** The first deployment of the instance after `baseline` (all of them when null), or null. */
    async firstDeploymentAfter(api: RailwayApi, instance: Instance, baseline: string | null): Promise<RailwayDeployment | null> {
      const newestFirst = await api.listDeployments(instance);
      const cut = baseline === null ? newestFirst.length : newestFirst.findIndex((deployment) => deployment.id === baseline);
      // The baseline fell out of the listed page: too much happened since to tell which is ours.
      if (cut === -1) return null;
      return newestFirst.slice(0, cut).at(-1) ?? null;
    },

    /**
     * Stops one production deployment counting. Still building: cancelled. Superseded,
     * failed or removed: nothing of it runs. Live with a newer one live too: Railway is
     * swapping it out (its overlap time). Live with a newer one building: it keeps serving
     * until that settles (see {@link finishTeardown}). Live and alone: production is taken
     * down with its service.
     */
    async destroy(ref: RailwayDeploymentRef): Promise<void> {
      const api = apiOf();
      let deployment: RailwayDeployment;
      try {
        deployment = await api.getDeployment(ref.deploymentId);
      } catch (error) {
        if (isRailwayNotFound(error)) return;
        throw error;
      }
      if (IN_PROGRESS.has(deployment.status)) {
        // It may have finished meanwhile; then there is nothing to cancel.
        await api.cancelDeployment(deployment.id).catch(() => undefined);
        return;
      }
      if (!SERVING.has(deployment.status)) return;
      const newer = (await api.listDeployments(ref)).filter((other) => other.id !== deployment.id && Date.parse(other.createdAt) >= Date.parse(deployment.createdAt));
      if (newer.some((other) => SERVING.has(other.status))) return;
      if (newer.some((other) => IN_PROGRESS.has(other.status))) {
        pendingTeardowns.set(ref.serviceId, ref);
        return;
      }
      await deleteService(ref.serviceId);
    },

    /**
     * Completes a recorded teardown once nothing on the service is in progress: if the newer
     * deployment went live, Railway removed ours; if it failed, ours still serves and the
     * service is deleted.
     */
    async finishTeardown(ref: Instance): Promise<void> {
      const pending = pendingTeardowns.get(ref.serviceId);
      if (!pending) return;
      const recent = await apiOf().listDeployments(pending);
      if (recent.some((deployment) => IN_PROGRESS.has(deployment.status))) return;
      const ours = recent.find((deployment) => deployment.id === pending.deploymentId);
      const replaced = recent.some((deployment) => deployment.id !== pending.deploymentId && SERVING.has(deployment.status));
      if (ours && SERVING.has(ours.status) && !replaced) await deleteService(pending.serviceId);
      pendingTeardowns.delete(ref.serviceId);
    },
  };
}
