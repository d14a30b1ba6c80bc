import { ValidationError } from '@vector/core';

/** What this provider needs to find a deployment again. */
export interface RenderDeploymentRef {
  environment: 'preview' | 'production';
  serviceId: string;
  deployId: string;
}

const pattern = /^render:(preview|production):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

/** Encodes a {@link RenderDeploymentRef} as the opaque `providerDeploymentId` core stores. */
export function encodeDeploymentRef(ref: RenderDeploymentRef): string {
  return `render:${ref.environment}:${ref.serviceId}:${ref.deployId}`;
}

/** True for ids {@link encodeDeploymentRef} makes. */
export function isDeploymentRef(providerDeploymentId: string): boolean {
  return pattern.test(providerDeploymentId);
}

/** Decodes a `providerDeploymentId`; throws `ValidationError` for one this provider never made. */
export function decodeDeploymentRef(providerDeploymentId: string): RenderDeploymentRef {
  const match = pattern.exec(providerDeploymentId);
  if (!match) throw new ValidationError({ message: `${JSON.stringify(providerDeploymentId)} is not a Render deployment id of this provider`, issues: [{ path: ['providerDeploymentId'], message: 'unrecognised' }] });
  return { environment: match[1] as 'preview' | 'production', serviceId: match[2] as string, deployId: match[3] as string };
}
