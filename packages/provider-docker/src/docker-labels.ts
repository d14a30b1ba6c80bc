import { createHash } from 'node:crypto';

/**
 * The labels that tie containers and images to deployments. `instance` names one provider
 * instance (its name and state directory), so several instances can share a daemon and each
 * reconciles only what is its own.
 */
export const labelKeys = {
  instance: 'dev.vector.docker.instance',
  providerDeploymentId: 'dev.vector.docker.deployment',
  deploymentId: 'dev.vector.deployment-id',
  projectId: 'dev.vector.project-id',
  environment: 'dev.vector.environment',
} as const;

/** The instance label's value: a hash of the provider's name and state directory. */
export function instanceKey(name: string, stateDir: string): string {
  return createHash('sha256').update(`${name}\n${stateDir}`).digest('hex').slice(0, 16);
}

/** A `filters` value for list calls: everything of one instance. */
export function instanceFilter(instance: string): Record<string, string[]> {
  return { label: [`${labelKeys.instance}=${instance}`] };
}

/** The image tag and container name of a deployment. */
export function namesFor(providerDeploymentId: string): { image: string; container: string } {
  return { image: `vector-deployment/${providerDeploymentId}:latest`, container: `vector-${providerDeploymentId}` };
}
