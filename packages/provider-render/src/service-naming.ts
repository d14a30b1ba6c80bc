import { createHash } from 'node:crypto';
import type { DeployInput } from '@vector/core';

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/g, '');
  return slug === '' ? 'app' : slug;
}

/**
 * Deterministic Render service names. Render names are unique per workspace, so finding a
 * service by name is how a retried deploy recognises what an earlier attempt created.
 * Production has one service per project and service type (Render cannot change a
 * service's type): the web service keeps the name it always had, the static site gets
 * `-site-` in its name.
 */
export function serviceName(input: Pick<DeployInput, 'environment' | 'project' | 'idempotencyKey'> & { prefix: string; type: 'web_service' | 'static_site' }): string {
  const base = `${input.prefix}-${slugify(input.project.name)}`;
  if (input.environment === 'preview') return `${base}-pr-${shortHash(`preview:${input.project.id}:${input.idempotencyKey}`)}`;
  return input.type === 'static_site' ? `${base}-site-${shortHash(`production:${input.project.id}`)}` : `${base}-${shortHash(`production:${input.project.id}`)}`;
}

/** The value of the marker env var that ties a production deploy to one idempotency key. */
export function deploymentMarkerKey(input: Pick<DeployInput, 'project' | 'idempotencyKey'>): string {
  return shortHash(`deploy:${input.project.id}:${input.idempotencyKey}`);
}
