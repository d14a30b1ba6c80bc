import { z } from 'zod';
import { ValidationError } from '../errors/validation-error.js';
import type { Agent } from './agent.js';
import type { DeploymentProvider } from './deployment-provider.js';
import type { SourceMirror } from './source-mirror.js';
import type { StorageBackend } from './storage-backend.js';

const nameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'plugin names are lower-case kebab-case');

function check(kind: string, plugin: { specificationVersion?: unknown }, name: unknown): void {
  if (plugin.specificationVersion !== 'v1') {
    throw new ValidationError({ message: `${kind} ${String(name)} declares specificationVersion ${String(plugin.specificationVersion)}; this core supports v1` });
  }
  const parsed = nameSchema.safeParse(name);
  if (!parsed.success) throw new ValidationError({ message: `${kind} name ${JSON.stringify(name)} is invalid: ${parsed.error.issues[0]?.message}` });
}

/** Checks a storage backend's declaration and returns it; use in `createX` factories. */
export function defineStorageBackend<T extends StorageBackend>(backend: T): T {
  check('Storage backend', backend, backend.name);
  if (backend.capabilities.garbageCollection && typeof backend.collectGarbage !== 'function') {
    throw new ValidationError({ message: `Storage backend ${backend.name} declares garbageCollection but has no collectGarbage()` });
  }
  if (backend.capabilities.gitSource && typeof backend.describeGitSource !== 'function') {
    throw new ValidationError({ message: `Storage backend ${backend.name} declares gitSource but has no describeGitSource()` });
  }
  if (backend.capabilities.externalChanges) {
    const missing = (['describeLocation', 'readHead', 'relateRefs', 'keepOver'] as const).filter((method) => typeof backend[method] !== 'function');
    if (missing.length > 0) throw new ValidationError({ message: `Storage backend ${backend.name} declares externalChanges but has no ${missing.map((method) => `${method}()`).join(', ')}` });
  }
  if (backend.capabilities.importRepository && typeof backend.importRepository !== 'function') {
    throw new ValidationError({ message: `Storage backend ${backend.name} declares importRepository but has no importRepository()` });
  }
  return backend;
}

/** Checks a deployment provider's declaration and returns it. */
export function defineDeploymentProvider<T extends DeploymentProvider>(provider: T): T {
  check('Deployment provider', provider, provider.name);
  if (provider.capabilities.environments.length === 0) throw new ValidationError({ message: `Deployment provider ${provider.name} supports no environment` });
  return provider;
}

/** Checks a source mirror's declaration and returns it; use in `createX` factories. */
export function defineSourceMirror<T extends SourceMirror>(mirror: T): T {
  check('Source mirror', mirror, mirror.name);
  if (typeof mirror.publish !== 'function') throw new ValidationError({ message: `Source mirror ${mirror.name} has no publish()` });
  return mirror;
}

/** Checks an agent's declaration and returns it. */
export function defineAgent<T extends Agent>(agent: T): T {
  check('Agent', agent, agent.type);
  return agent;
}
