import type { Actor, Vector, VectorDatabaseConnection, VectorScope } from '@vector/core';

/** A started engine's scope in its one organization, and how to stop the engine. */
export interface OrganizationScope {
  scope: VectorScope;
  /** Disposes the engine, then closes its database. */
  stop(): Promise<void>;
}

/**
 * Starts `vector`, an engine on `database`, and creates one organization, Acme, for `actor` to
 * act in. When either step fails, the engine is stopped before the error is thrown.
 */
export async function startInOrganization(vector: Vector, database: VectorDatabaseConnection, actor: Actor = { type: 'user', id: 'user-1' }): Promise<OrganizationScope> {
  const stop = async () => {
    await vector.dispose();
    await database.destroy();
  };
  try {
    await vector.start();
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    return { scope: vector.scope({ organizationId: organization.id, actor }), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
