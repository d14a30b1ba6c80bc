/**
 * `@vector/provider-docker`: runs each version as a container through the Docker Engine API —
 * an image built from core's build plan (or the project's own Dockerfile), resource limits, a
 * read-only root, host networking on 127.0.0.1, and reconciliation by label after a restart.
 * @packageDocumentation
 */
export { createDockerProvider, type DockerProvider, type DockerReconcileReport, type DockerUpstream } from './create-docker-provider.js';
export type { DockerProviderOptions } from './docker-provider-options.js';
