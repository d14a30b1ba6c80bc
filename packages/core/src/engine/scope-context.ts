import type { Selectable } from 'kysely';
import { parseInput } from '../errors/from-zod.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { InternalError } from '../errors/internal-error.js';
import type { StorageBackend, StorageProject } from '../plugins/storage-backend.js';
import { type Actor, idSchema } from '../schemas/common.js';
import type { CoreDatabase } from './store/database-schema.js';
import type { EngineContext } from './engine-context.js';
import { fromJson } from './store/json-column.js';

/** A scoped call's context: the engine plus the organization and actor it is confined to. */
export interface ScopeContext {
  engine: EngineContext;
  organizationId: string;
  actor: Actor;
}

/** A project row of the scope's organization. */
export type ProjectRow = Selectable<CoreDatabase['vector_projects']>;

/**
 * Loads a project of the scope's organization. A project of another organization is
 * reported exactly like a missing one, so ids never leak across tenants.
 */
export async function loadProject(scope: ScopeContext, projectId: string): Promise<ProjectRow> {
  const id = parseInput(idSchema, projectId, 'project id');
  const row = await scope.engine.db
    .selectFrom('vector_projects')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', scope.organizationId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError({ entity: 'project', id });
  return row;
}

/** The view of a project that storage backends get. */
export function toStorageProject(row: ProjectRow): StorageProject {
  const settings = fromJson<Record<string, unknown>>(row.settings);
  const storage = settings.storage;
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    settings: typeof storage === 'object' && storage !== null ? (storage as Record<string, unknown>) : {},
  };
}

/** The storage backend a project was created with. */
export function storageFor(engine: EngineContext, row: ProjectRow): StorageBackend {
  const backend = engine.storage.get(row.storage_backend);
  if (!backend) {
    throw new InternalError({ message: `Project ${row.id} uses storage backend ${row.storage_backend}, which is not registered with this engine` });
  }
  return backend;
}
