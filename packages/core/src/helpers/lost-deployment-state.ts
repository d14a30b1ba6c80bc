import type { ProviderDeploymentState } from '../plugins/deployment-provider.js';

/**
 * What `getStatus` answers for a deployment the provider doesn't know (lost with a restart, or
 * removed behind its back): `failed` with the code `DEPLOYMENT_NOT_FOUND`, as the deployment
 * contract asks, never a thrown error.
 */
export function lostDeploymentState(providerDeploymentId: string, message: string): ProviderDeploymentState {
  return { providerDeploymentId, status: 'failed', providerStatus: 'unknown', url: null, error: { code: 'DEPLOYMENT_NOT_FOUND', message } };
}

/**
 * The names a deployment was given, for its first log line: variables, then secrets marked
 * `(secret)`, each sorted. Never the values.
 */
export function environmentNames(env: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): string[] {
  return [...Object.keys(env).sort(), ...Object.keys(secrets).sort().map((name) => `${name} (secret)`)];
}
