import type { EngineContext } from '../engine-context.js';

/**
 * Destroys at their providers the deployments that still run for the given projects, before
 * the rows that track them are deleted (a deleted row can never be reaped). Errors become
 * warnings: a provider outage must not block deleting a project or an organization.
 */
export async function teardownDeployments(engine: EngineContext, projectIds: ReadonlyArray<string>): Promise<void> {
  if (projectIds.length === 0) return;
  const rows = await engine.db
    .selectFrom('vector_deployments')
    .selectAll()
    .where('project_id', 'in', [...projectIds])
    .where('status', 'in', ['pending', 'building', 'live'])
    .where('provider_deployment_id', 'is not', null)
    .execute();
  for (const row of rows) {
    try {
      await engine.providers.get(row.provider)?.destroy({ providerDeploymentId: row.provider_deployment_id as string });
    } catch (error) {
      engine.events.emit('warning', {
        organizationId: row.organization_id,
        projectId: row.project_id,
        code: 'DEPLOYMENT_TEARDOWN_FAILED',
        message: `Deployment ${row.id} at ${row.provider} could not be destroyed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
