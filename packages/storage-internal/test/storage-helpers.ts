import { encodeText, type FileChange, type StorageProject, type VectorDatabaseConnection } from '@vector/core';
import { randomBytes } from 'node:crypto';

/** A fresh project for one test. */
export function newProject(): StorageProject {
  return { id: `project-${randomBytes(6).toString('hex')}`, organizationId: 'organization-1', name: 'Test', settings: {} };
}

/** A text write. */
export function write(path: string, content: string | Uint8Array): FileChange {
  return { type: 'write', path, content: typeof content === 'string' ? encodeText(content) : content };
}

/** The author every test save uses. */
export const author = { name: 'Test', email: 'test@vector.invalid' };

/** Rows of this package's tables belonging to `projectId`. */
export async function countRows(connection: VectorDatabaseConnection, projectId: string): Promise<{ objects: number; versions: number; storedBytes: number }> {
  const objects = await connection.db
    .selectFrom('vector_storage_objects')
    .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('stored_bytes').as('bytes')])
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  const versions = await connection.db.selectFrom('vector_storage_versions').select((eb) => eb.fn.countAll().as('count')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
  return { objects: Number(objects.count), versions: Number(versions.count), storedBytes: Number(objects.bytes ?? 0) };
}

/** Rejection of `promise`, or a failure if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}
