import type { RailwayClient } from './railway-client.js';
import type { RailwayConnection, RailwayDeployment, RailwayDeploymentTrigger, RailwayLog, RailwayProject } from './railway-types.js';

const PROJECT_FIELDS = 'id name environments { edges { node { id name } } }';

/** The Railway GraphQL operations the provider uses, each a typed function (as `render-api.ts` for Render). */
export function createRailwayApi(request: RailwayClient, signal?: AbortSignal) {
  const query = <T>(text: string, variables: Record<string, unknown>) => request<T>({ query: text, variables, mutation: false, signal });
  const mutate = <T>(text: string, variables: Record<string, unknown>) => request<T>({ query: text, variables, mutation: true, signal });

  return {
    async listProjects(workspaceId: string | undefined): Promise<RailwayProject[]> {
      const projects: RailwayProject[] = [];
      let after: string | null = null;
      for (;;) {
        const data: { projects: RailwayConnection<RailwayProject> } = await query(
          `query VectorProjects($workspaceId: String, $first: Int, $after: String) { projects(workspaceId: $workspaceId, first: $first, after: $after) { edges { node { ${PROJECT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
          { workspaceId: workspaceId ?? null, first: 100, after },
        );
        projects.push(...data.projects.edges.map((edge) => edge.node));
        if (!data.projects.pageInfo?.hasNextPage || !data.projects.pageInfo.endCursor) return projects;
        after = data.projects.pageInfo.endCursor;
      }
    },

    async getProject(id: string): Promise<RailwayProject> {
      const data = await query<{ project: RailwayProject }>(`query VectorProject($id: String!) { project(id: $id) { ${PROJECT_FIELDS} } }`, { id });
      return data.project;
    },

    async createProject(input: { name: string; description: string; workspaceId: string | undefined; defaultEnvironmentName: string }): Promise<RailwayProject> {
      const data = await mutate<{ projectCreate: RailwayProject }>(`mutation VectorProjectCreate($input: ProjectCreateInput!) { projectCreate(input: $input) { ${PROJECT_FIELDS} } }`, {
        input: { name: input.name, description: input.description, defaultEnvironmentName: input.defaultEnvironmentName, ...(input.workspaceId ? { workspaceId: input.workspaceId } : {}) },
      });
      return data.projectCreate;
    },

    async listServices(projectId: string): Promise<Array<{ id: string; name: string }>> {
      const data = await query<{ project: { services: RailwayConnection<{ id: string; name: string }> } }>(
        'query VectorServices($id: String!) { project(id: $id) { services { edges { node { id name } } } } }',
        { id: projectId },
      );
      return data.project.services.edges.map((edge) => edge.node);
    },

    async createService(input: { projectId: string; environmentId: string; name: string; variables: Record<string, string> }): Promise<{ id: string; name: string }> {
      const data = await mutate<{ serviceCreate: { id: string; name: string } }>('mutation VectorServiceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }', { input });
      return data.serviceCreate;
    },

    async getServiceInstance(input: { serviceId: string; environmentId: string }): Promise<{ latestDeployment: RailwayDeployment | null; domains: string[] }> {
      const data = await query<{ serviceInstance: { latestDeployment: RailwayDeployment | null; domains: { serviceDomains: Array<{ domain: string }> } } }>(
        'query VectorServiceInstance($environmentId: String!, $serviceId: String!) { serviceInstance(environmentId: $environmentId, serviceId: $serviceId) { latestDeployment { id status serviceId staticUrl createdAt } domains { serviceDomains { domain } } } }',
        input,
      );
      return { latestDeployment: data.serviceInstance.latestDeployment, domains: data.serviceInstance.domains.serviceDomains.map((entry) => entry.domain) };
    },

    async upsertVariables(input: { projectId: string; environmentId: string; serviceId: string; variables: Record<string, string> }): Promise<void> {
      await mutate('mutation VectorVariables($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }', {
        input: { ...input, replace: true, skipDeploys: true },
      });
    },

    async updateServiceInstance(input: { serviceId: string; environmentId: string; settings: Record<string, unknown> }): Promise<void> {
      await mutate('mutation VectorServiceInstanceUpdate($serviceId: String!, $environmentId: String, $input: ServiceInstanceUpdateInput!) { serviceInstanceUpdate(serviceId: $serviceId, environmentId: $environmentId, input: $input) }', {
        serviceId: input.serviceId,
        environmentId: input.environmentId,
        input: input.settings,
      });
    },

    async createServiceDomain(input: { serviceId: string; environmentId: string; targetPort?: number }): Promise<string> {
      const data = await mutate<{ serviceDomainCreate: { domain: string } }>('mutation VectorDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id domain } }', { input });
      return data.serviceDomainCreate.domain;
    },

    async deployCommit(input: { serviceId: string; environmentId: string; commitSha: string }): Promise<string> {
      const data = await mutate<{ serviceInstanceDeployV2: string }>(
        'mutation VectorDeploy($serviceId: String!, $environmentId: String!, $commitSha: String) { serviceInstanceDeployV2(serviceId: $serviceId, environmentId: $environmentId, commitSha: $commitSha) }',
        input,
      );
      return data.serviceInstanceDeployV2;
    },

    async getDeployment(id: string): Promise<RailwayDeployment> {
      const data = await query<{ deployment: RailwayDeployment }>('query VectorDeployment($id: String!) { deployment(id: $id) { id status serviceId staticUrl createdAt } }', { id });
      return data.deployment;
    },

    /** The service instance's recent deployments, newest first (sorted here: the order Railway answers in is not documented). */
    async listDeployments(input: { projectId: string; environmentId: string; serviceId: string }, first = 20): Promise<RailwayDeployment[]> {
      const data = await query<{ deployments: RailwayConnection<RailwayDeployment> }>(
        'query VectorDeployments($input: DeploymentListInput!, $first: Int) { deployments(input: $input, first: $first) { edges { node { id status serviceId staticUrl createdAt } } } }',
        { input: { projectId: input.projectId, environmentId: input.environmentId, serviceId: input.serviceId }, first },
      );
      return data.deployments.edges.map((edge) => edge.node).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    },

    /** Cancels a queued or building deployment (Railway marks it REMOVED). */
    async cancelDeployment(id: string): Promise<void> {
      await mutate('mutation VectorDeploymentCancel($id: String!) { deploymentCancel(id: $id) }', { id });
    },

    /** The service's variables as stored (references not resolved). */
    async getVariables(input: { projectId: string; environmentId: string; serviceId: string }): Promise<Record<string, string | null>> {
      const data = await query<{ variables: Record<string, string | null> }>(
        'query VectorVariablesRead($projectId: String!, $environmentId: String!, $serviceId: String) { variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: true) }',
        { projectId: input.projectId, environmentId: input.environmentId, serviceId: input.serviceId },
      );
      return data.variables ?? {};
    },

    /** The branch triggers of a service instance (at most one per service and environment). */
    async listDeploymentTriggers(input: { projectId: string; environmentId: string; serviceId: string }): Promise<RailwayDeploymentTrigger[]> {
      const data = await query<{ deploymentTriggers: RailwayConnection<RailwayDeploymentTrigger> }>(
        'query VectorTriggers($projectId: String!, $environmentId: String!, $serviceId: String!) { deploymentTriggers(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) { edges { node { id repository branch } } } }',
        { projectId: input.projectId, environmentId: input.environmentId, serviceId: input.serviceId },
      );
      return data.deploymentTriggers.edges.map((edge) => edge.node);
    },

    async deleteDeploymentTrigger(id: string): Promise<void> {
      await mutate('mutation VectorTriggerDelete($id: String!) { deploymentTriggerDelete(id: $id) }', { id });
    },

    /** The NEWEST `limit` lines between `startDate` and `endDate` (Railway keeps the tail, like `railway logs --lines`). */
    async logs(stream: 'buildLogs' | 'deploymentLogs', input: { deploymentId: string; limit: number; startDate: string | null; endDate: string | null }): Promise<RailwayLog[]> {
      const data = await query<Record<string, RailwayLog[]>>(
        `query VectorLogs($deploymentId: String!, $limit: Int, $startDate: DateTime, $endDate: DateTime) { ${stream}(deploymentId: $deploymentId, limit: $limit, startDate: $startDate, endDate: $endDate) { timestamp message severity } }`,
        input,
      );
      return data[stream] ?? [];
    },

    /** Deletes the service and all its deployments. */
    async deleteService(serviceId: string): Promise<void> {
      await mutate('mutation VectorServiceDelete($id: String!) { serviceDelete(id: $id) }', { id: serviceId });
    },
  };
}

/** The typed Railway API. */
export type RailwayApi = ReturnType<typeof createRailwayApi>;
