import { createHash } from 'node:crypto';

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
 */
export function serviceName(input: { prefix: string; environment: 'preview' | 'production'; project: { id: string; name: string }; idempotencyKey: string }): string {
  const base = `${input.prefix}-${slugify(input.project.name)}`;
  return input.environment === 'production'
    ? `${base}-${shortHash(`production:${input.project.id}`)}`
    : `${base}-pr-${shortHash(`preview:${input.project.id}:${input.idempotencyKey}`)}`;
}

/** The value of the marker env var that ties a production deploy to one idempotency key. */
export function deploymentMarkerKey(input: { project: { id: string }; idempotencyKey: string }): string {
  return shortHash(`deploy:${input.project.id}:${input.idempotencyKey}`);
}
