import { defineDeploymentProvider, type DeploymentProviderV1, type GitSource, NotFoundError, type ProviderDeploymentState, ProviderError, redactSecretValues, sha256Hex, UnsupportedError } from '@vector/core';
import { createRailwayClient, isRailwayNotFound, isRailwayPlacementGone } from './railway-client.js';
import { decodeDeploymentRef, encodeDeploymentRef, type RailwayDeploymentRef } from './railway-deployment-ref.js';
import { createRailwayOperations, type RailwayDeployment, type RailwayOperations } from './railway-operations.js';
import { resolveRailwayOptions, type RailwayProviderOptions } from './railway-provider-options.js';
import { mapRailwayStatus } from './map-railway-status.js';
import { readRailwayLogs } from './read-railway-logs.js';

/** The Railway deployment provider (the v1 deployment contract). */
export type RailwayProvider = DeploymentProviderV1;

type DeployInput = Parameters<DeploymentProviderV1['deploy']>[0];
interface Placement {
  projectId: string;
  environmentId: string;
}

function requireGitHub(source: GitSource | null): GitSource {
  if (!source) {
    throw new UnsupportedError({
      message:
        'Railway cannot build raw files through its public API (it has no upload mutation). Store the project in a GitHub repository Railway can access, with @vector/storage-github, so Railway builds the version\'s commit',
      details: { provider: 'railway', accepts: ['git'], alternative: '@vector/storage-github' },
    });
  }
  let host = '';
  try {
    host = new URL(source.repositoryUrl).hostname;
  } catch {
    // an unparsable URL is reported below
  }
  if (host !== 'github.com') {
    throw new UnsupportedError({ message: `Railway builds only from GitHub repositories connected to its GitHub app; ${source.repositoryUrl} is not on github.com`, details: { provider: 'railway', alternative: '@vector/storage-github' } });
  }
  return source;
}

/**
 * Creates the Railway deployment provider. Each Vector deployment becomes its own Railway
 * service (named from the idempotency key) in one Railway project per Vector project, built
 * by Railway from the version's GitHub commit and given a `*.up.railway.app` domain.
 *
 * ```ts
 * const railway = createRailwayProvider({ token: process.env.RAILWAY_API_TOKEN, workspaceId: 'ws_…' });
 * const vector = createVector({ database, storage: [github], providers: [railway] });
 * ```
 */
export function createRailwayProvider(options: RailwayProviderOptions = {}): RailwayProvider {
  const settings = resolveRailwayOptions(options);
  const provider = settings.name;
  const client = createRailwayClient({ provider, baseUrl: settings.baseUrl, token: settings.token, fetch: settings.fetch, retry: settings.retry, requestTimeoutMs: settings.requestTimeoutMs });
  // Per instance, never per module: each provider has its own cache and memory of removals.
  const placements = new Map<string, Promise<Placement>>();
  const destroyed = new Set<string>();

  async function findPlacement(operations: RailwayOperations, vectorProject: DeployInput['project']): Promise<Placement> {
    const name = `${settings.namePrefix}-${vectorProject.id}`;
    const project = settings.projectId
      ? await operations.getProject(settings.projectId)
      : ((await operations.listProjects(settings.workspaceId)).find((candidate) => candidate.name === name) ??
        (await operations.createProject({ name, description: `Vector project ${vectorProject.name}`, workspaceId: settings.workspaceId, defaultEnvironmentName: settings.environmentName })));
    const environment = project.environments.edges.map((edge) => edge.node).find((node) => node.name === settings.environmentName);
    if (!environment) {
      throw new ProviderError({ provider, isRetryable: false, message: `Railway project ${project.id} has no environment named ${settings.environmentName}; create it or set the environmentName option` });
    }
    return { projectId: project.id, environmentId: environment.id };
  }

  function placementFor(operations: RailwayOperations, vectorProject: DeployInput['project']): Promise<Placement> {
    const key = settings.projectId ?? vectorProject.id;
    let pending = placements.get(key);
    if (!pending) {
      // Concurrent deploys of one project share the lookup, so only one Railway project is created.
      pending = findPlacement(operations, vectorProject);
      placements.set(key, pending);
      pending.catch(() => placements.delete(key));
    }
    return pending;
  }

  function stateOf(ref: RailwayDeploymentRef, deployment: Pick<RailwayDeployment, 'status'>): ProviderDeploymentState {
    const providerDeploymentId = encodeDeploymentRef(ref);
    const status = destroyed.has(providerDeploymentId) ? 'destroyed' : mapRailwayStatus(deployment.status);
    const state: ProviderDeploymentState = { providerDeploymentId, status, providerStatus: deployment.status, url: status === 'live' && ref.domain ? `https://${ref.domain}` : null };
    if (status === 'failed') state.error = { code: `RAILWAY_${deployment.status}`, message: `Railway reports the deployment ${deployment.status}; see its build and deploy logs` };
    return state;
  }

  async function deploy(input: DeployInput): Promise<ProviderDeploymentState> {
    const git = requireGitHub(input.source.git);
    const operations = createRailwayOperations(client, input.signal);
    const key = settings.projectId ?? input.project.id;
    const cached = placements.get(key);
    try {
      return await deployInto(input, git, operations, await placementFor(operations, input.project));
    } catch (error) {
      // The cached project or environment was deleted outside Vector: look it up (or create it) once more.
      if (!cached || !isRailwayPlacementGone(error) || placements.get(key) !== cached) throw error;
      placements.delete(key);
      return deployInto(input, git, operations, await placementFor(operations, input.project));
    }
  }

  async function deployInto(input: DeployInput, git: GitSource, operations: RailwayOperations, { projectId, environmentId }: Placement): Promise<ProviderDeploymentState> {
    const kind = input.environment === 'production' ? 'prod' : 'preview';
    // Deterministic: a retried deploy finds the service (and its deployment) it made before.
    const serviceName = `${settings.namePrefix}-${kind}-${sha256Hex(`${input.project.id}\n${input.idempotencyKey}`).slice(0, 16)}`;
    const variables = { ...input.env, ...input.secrets };
    const existing = (await operations.listServices(projectId)).find((service) => service.name === serviceName);
    let domain: string | null = null;
    let serviceId: string;
    if (existing) {
      serviceId = existing.id;
      const instance = await operations.getServiceInstance({ serviceId, environmentId });
      domain = instance.domains[0] ?? null;
      if (instance.latestDeployment) return stateOf({ projectId, environmentId, serviceId, deploymentId: instance.latestDeployment.id, domain }, instance.latestDeployment);
      await operations.upsertVariables({ projectId, environmentId, serviceId, variables });
    } else {
      serviceId = (await operations.createService({ projectId, environmentId, name: serviceName, variables })).id;
    }
    await operations.updateServiceInstance({ serviceId, environmentId, settings: { source: { repo: `${git.owner}/${git.repository}` }, ...(settings.region ? { region: settings.region } : {}) } });
    domain ??= await operations.createServiceDomain({ serviceId, environmentId, ...(settings.targetPort ? { targetPort: settings.targetPort } : {}) });
    const deploymentId = await operations.deployCommit({ serviceId, environmentId, commitSha: git.commitSha });
    // Railway queues every new deployment; the engine polls from here.
    return stateOf({ projectId, environmentId, serviceId, deploymentId, domain }, { status: 'QUEUED' });
  }

  async function getStatus(input: { providerDeploymentId: string }): Promise<ProviderDeploymentState> {
    let ref: RailwayDeploymentRef;
    try {
      ref = decodeDeploymentRef(input.providerDeploymentId);
    } catch (error) {
      // Contract: a deployment this provider cannot find is reported failed, not thrown.
      if (!NotFoundError.isInstance(error)) throw error;
      return { providerDeploymentId: input.providerDeploymentId, status: 'failed', providerStatus: 'NOT_FOUND', url: null, error: { code: 'RAILWAY_NOT_FOUND', message: 'Not a Railway deployment id made by this provider' } };
    }
    try {
      return stateOf(ref, await createRailwayOperations(client).getDeployment(ref.deploymentId));
    } catch (error) {
      if (!isRailwayNotFound(error)) throw error;
      if (destroyed.has(input.providerDeploymentId)) return { providerDeploymentId: input.providerDeploymentId, status: 'destroyed', providerStatus: 'REMOVED', url: null };
      return {
        providerDeploymentId: input.providerDeploymentId,
        status: 'failed',
        providerStatus: 'NOT_FOUND',
        url: null,
        error: { code: 'RAILWAY_NOT_FOUND', message: `Railway no longer has deployment ${ref.deploymentId}; it was removed outside Vector. Deploy again` },
      };
    }
  }

  return defineDeploymentProvider<RailwayProvider>({
    specificationVersion: 'v1',
    name: provider,
    capabilities: { environments: ['preview', 'production'], sources: ['git'], logs: true },
    async deploy(input) {
      try {
        return await deploy(input);
      } catch (error) {
        throw redactSecretValues(error, { provider, secrets: Object.values(input.secrets) });
      }
    },
    getStatus,
    async getLogs(input) {
      const ref = decodeDeploymentRef(input.providerDeploymentId);
      try {
        return await readRailwayLogs({ operations: createRailwayOperations(client), deploymentId: ref.deploymentId, cursor: input.cursor, limit: settings.logPageSize, maxPages: settings.logMaxPagesPerRead });
      } catch (error) {
        // Logs of a deployment Railway no longer has: nothing more will come.
        if (isRailwayNotFound(error)) return { entries: [], cursor: input.cursor };
        throw error;
      }
    },
    async getUrl(input) {
      return (await getStatus(input)).url;
    },
    async destroy(input) {
      const ref = decodeDeploymentRef(input.providerDeploymentId);
      try {
        await createRailwayOperations(client).deleteService(ref.serviceId);
      } catch (error) {
        if (!isRailwayNotFound(error)) throw error;
      }
      destroyed.add(input.providerDeploymentId);
    },
  });
}
