import type { Actor } from '../../schemas/common.js';
import type { EngineContext } from '../engine-context.js';
import type { DeploymentDriver } from './deployment-driver.js';
import { errorMessage } from '../../helpers/error-message.js';

/**
 * Destroys the deployments that still run for the given projects, before the rows that
 * track them are deleted (a deleted row can never be reaped). Each goes through the driver's
 * one destroy path, so it is marked `destroyed`, audited (`deployment.teardown`) and
 * announced like any other. Errors become warnings: a provider outage must not block
 * deleting a project or an organization.
 */
export async function teardownDeployments(input: { engine: EngineContext; driver: DeploymentDriver; projectIds: ReadonlyArray<string>; actor: Actor }): Promise<void> {
  const { engine, driver, projectIds, actor } = input;
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
      await driver.destroy(row, actor, 'deployment.teardown');
    } catch (error) {
      engine.events.emit('warning', {
        organizationId: row.organization_id,
        projectId: row.project_id,
        code: 'DEPLOYMENT_TEARDOWN_FAILED',
        message: `Deployment ${row.id} at ${row.provider} could not be destroyed: ${errorMessage(error)}`,
      });
    }
  }
}
