import type { DeploymentManifest } from './deployment-manifest.js';
import { labelKeys } from './docker-labels.js';
import type { ListedContainer, ListedImage } from './docker-resources.js';

/** What `init()` does with the deployments on record and the daemon's containers and images. */
export interface ReconcilePlan {
  /** Live deployments whose container runs: watched again, still live. */
  adopt: Array<{ manifest: DeploymentManifest; containerId: string }>;
  /** Deployments that can't be live any more, and why. */
  fail: Array<{ manifest: DeploymentManifest; error: { code: string; message: string } }>;
  /** Failed deployments on record, reported as they were. */
  keep: DeploymentManifest[];
  /** Containers (ids) to remove: their deployment is gone, failed, or not running. */
  removeContainers: string[];
  /** Images (ids) to remove: likewise. */
  removeImages: string[];
}

/**
 * Compares the deployments on record (manifests) with the containers and images labelled
 * with this provider instance:
 * - a live deployment whose container runs is adopted; one whose container is gone or
 *   stopped fails with `CONTAINER_GONE`;
 * - a deployment that was still building fails with `INTERRUPTED` (its build died with the
 *   process that ran it);
 * - a container or image whose deployment is not on record (destroyed, or never recorded)
 *   is removed, as is everything of a deployment that is not adopted.
 */
export function planReconcile(input: { manifests: ReadonlyArray<DeploymentManifest>; containers: ReadonlyArray<ListedContainer>; images: ReadonlyArray<ListedImage> }): ReconcilePlan {
  const plan: ReconcilePlan = { adopt: [], fail: [], keep: [], removeContainers: [], removeImages: [] };
  const containersOf = new Map<string, ListedContainer[]>();
  for (const container of input.containers) {
    const id = container.Labels?.[labelKeys.providerDeploymentId] ?? '';
    containersOf.set(id, [...(containersOf.get(id) ?? []), container]);
  }
  const kept = new Set<string>();
  for (const manifest of input.manifests) {
    const containers = containersOf.get(manifest.id) ?? [];
    const running = containers.find((container) => container.State === 'running' && (manifest.containerId === null || container.Id === manifest.containerId));
    if (manifest.status === 'live' && running) {
      plan.adopt.push({ manifest, containerId: running.Id });
      kept.add(manifest.id);
      plan.removeContainers.push(...containers.filter((container) => container !== running).map((container) => container.Id));
      continue;
    }
    plan.removeContainers.push(...containers.map((container) => container.Id));
    if (manifest.status === 'failed') plan.keep.push(manifest);
    else if (manifest.status === 'building') {
      plan.fail.push({ manifest, error: { code: 'INTERRUPTED', message: 'The provider stopped while this deployment was being built or started; deploy it again' } });
    } else {
      const stopped = containers[0];
      const message = stopped
        ? `The container ${containerName(stopped, manifest)} stopped (${stopped.State ?? 'not running'}) while the provider was not watching`
        : `The container ${containerName(undefined, manifest)} is gone: it was removed outside Vector, or the daemon lost it`;
      plan.fail.push({ manifest, error: { code: 'CONTAINER_GONE', message } });
    }
  }
  for (const [id, containers] of containersOf) {
    if (!input.manifests.some((manifest) => manifest.id === id)) plan.removeContainers.push(...containers.map((container) => container.Id));
  }
  for (const image of input.images) {
    const id = image.Labels?.[labelKeys.providerDeploymentId] ?? '';
    if (!kept.has(id)) plan.removeImages.push(image.Id);
  }
  return plan;
}

function containerName(container: ListedContainer | undefined, manifest: DeploymentManifest): string {
  return container?.Names?.[0]?.replace(/^\//, '') ?? `vector-${manifest.id}`;
}
