import { NotFoundError } from '@vector/core';
import { z } from 'zod';

const refSchema = z.object({
  projectId: z.string().min(1),
  environmentId: z.string().min(1),
  serviceId: z.string().min(1),
  deploymentId: z.string().min(1),
  domain: z.string().nullable(),
  /** The project's shared production service (ids made before it existed have their own service). */
  production: z.boolean().optional(),
});

/** What the provider needs to find a deployment again; core stores it as an opaque string. */
export type RailwayDeploymentRef = z.infer<typeof refSchema>;

const PREFIX = 'rw1.';

/** Encodes a reference as `rw1.<base64url JSON>`. */
export function encodeDeploymentRef(ref: RailwayDeploymentRef): string {
  return PREFIX + Buffer.from(JSON.stringify(ref), 'utf8').toString('base64url');
}

/**
 * Decodes a reference made by {@link encodeDeploymentRef}. Anything else names no deployment
 * this provider knows: `NotFoundError`.
 */
export function decodeDeploymentRef(providerDeploymentId: string): RailwayDeploymentRef {
  const invalid = (cause?: unknown) => new NotFoundError({ entity: 'railway deployment', message: 'Not a Railway deployment id made by this provider', cause });
  if (!providerDeploymentId.startsWith(PREFIX)) throw invalid();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(providerDeploymentId.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid(error);
  }
  const parsed = refSchema.safeParse(json);
  if (!parsed.success) throw invalid();
  return parsed.data;
}
