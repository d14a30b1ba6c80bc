import { defineDeploymentProvider, type DeployInput, type DeploymentProviderV1, type GitSource, NotFoundError, planSource, type ProviderDeploymentInput, type ProviderDeploymentState, ProviderError, redactSecretValues, sha256Hex, type SourceFile, UnsupportedError } from '@vector/core';
import { mapBuildPlan, type RailwayServiceSettings } from './map-build-plan.js';
import { createProductionLifecycle } from './production-lifecycle.js';
import { createRailwayClient, isRailwayNotFound, isRailwayPlacementGone } from './railway-client.js';
import { decodeDeploymentRef, encodeDeploymentRef, type RailwayDeploymentRef } from './railway-deployment-ref.js';
import { createRailwayApi, type RailwayApi } from './railway-api.js';
import type { RailwayDeployment } from './railway-types.js';
import { resolveRailwayProviderOptions, type RailwayProviderOptions } from './railway-provider-options.js';
import { mapRailwayStatus } from './map-railway-status.js';
import { readRailwayLogs } from './read-railway-logs.js';
import { applyServiceSettings } from './service-settings.js';
import { createTarball, uploadTarball } from './upload-tarball.js';

/** The Railway deployment provider (the v1 deployment contract). */
export type RailwayProvider = DeploymentProviderV1;

/**
 * Service variable Vector sets before each deploy to a shared production service:
 * `<key hash>:<newest deployment id before ours>`. A retried deploy (even from another
 * process) finds the deployment an earlier attempt started instead of starting another.
 */
export const RAILWAY_MARKER_VARIABLE = 'VECTOR_DEPLOYMENT_MARKER';

interface Placement {
  projectId: string;
  environmentId: string;
}
/** Where the code comes from: a GitHub commit Railway builds, or the files, uploaded. */
type CodeSource = { kind: 'git'; repo: string; commitSha: string } | { kind: 'tarball' };

function gitHubRepo(source: GitSource | null): string | null {
  if (!source) return null;
  try {
    return new URL(source.repositoryUrl).hostname === 'github.com' ? `${source.owner}/${source.repository}` : null;
  } catch {
    return null;
  }
}

/**
 * Creates the Railway deployment provider. Each preview is its own Railway service (named
 * from the idempotency key); production is one service per project, so its URL stays the
 * same: each publish deploys the version's commit into it and Railway swaps the running
 * deployment once the new one is up. Railway builds the version's GitHub commit (or, with
 * `upload: 'tarball'`, the uploaded files) with the build plan's commands.
 *
 * ```ts
 * const railway = createRailwayProvider({ token: process.env.RAILWAY_API_TOKEN, workspaceId: 'ws_…' });
 * const vector = createVector({ database, storage: [github], providers: [railway] });
 * ```
 */
export function createRailwayProvider(options: RailwayProviderOptions = {}): RailwayProvider {
  const settings = resolveRailwayProviderOptions(options);
  const provider = settings.name;
  const client = createRailwayClient({ provider, baseUrl: settings.baseUrl, token: settings.token, fetch: settings.fetch, retry: settings.retry, requestTimeoutMs: settings.requestTimeoutMs });
  // Per instance, never per module: each provider has its own cache and memory of removals.
  const placements = new Map<string, Promise<Placement>>();
  const destroyed = new Set<string>();
  const production = createProductionLifecycle(() => createRailwayApi(client));

  function codeSourceOf(input: DeployInput): CodeSource {
    const repo = gitHubRepo(input.source.git);
    if (repo && input.source.git) return { kind: 'git', repo, commitSha: input.source.git.commitSha };
    if (settings.upload === 'tarball') return { kind: 'tarball' };
    throw new UnsupportedError({
      message: input.source.git
        ? `Railway builds only from GitHub repositories connected to its GitHub app; ${input.source.git.repositoryUrl} is not on github.com. Set upload: 'tarball' to upload the files instead`
        : "Railway's public API cannot take files: store the project in a GitHub repository Railway can access (@vector/storage-github), or set upload: 'tarball' to upload the files the way `railway up` does",
      details: { provider: 'railway', accepts: ['git'], alternative: '@vector/storage-github' },
    });
  }

  async function findPlacement(api: RailwayApi, vectorProject: DeployInput['project']): Promise<Placement> {
    const name = `${settings.namePrefix}-${vectorProject.id}`;
    const project = settings.projectId
      ? await api.getProject(settings.projectId)
      : ((await api.listProjects(settings.workspaceId)).find((candidate) => candidate.name === name) ??
        (await api.createProject({ name, description: `Vector project ${vectorProject.name}`, workspaceId: settings.workspaceId, defaultEnvironmentName: settings.environmentName })));
    const environment = project.environments.edges.map((edge) => edge.node).find((node) => node.name === settings.environmentName);
    if (!environment) {
      throw new ProviderError({ provider, isRetryable: false, message: `Railway project ${project.id} has no environment named ${settings.environmentName}; create it or set the environmentName option` });
    }
    return { projectId: project.id, environmentId: environment.id };
  }

  function placementFor(api: RailwayApi, vectorProject: DeployInput['project']): Promise<Placement> {
    const key = settings.projectId ?? vectorProject.id;
    let pending = placements.get(key);
    if (!pending) {
      // Concurrent deploys of one project share the lookup, so only one Railway project is created.
      pending = findPlacement(api, vectorProject);
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
    const code = codeSourceOf(input);
    // A version the planner cannot build fails here, before anything is made on Railway.
    const { plan: buildPlan, files } = await planSource(input.source);
    const plan = mapBuildPlan(buildPlan);
    const api = createRailwayApi(client, input.signal);
    const key = settings.projectId ?? input.project.id;
    const cached = placements.get(key);
    try {
      return await deployInto(input, code, plan, files, api, await placementFor(api, input.project));
    } catch (error) {
      // The cached project or environment was deleted outside Vector: look it up (or create it) once more.
      if (!cached || !isRailwayPlacementGone(error) || placements.get(key) !== cached) throw error;
      placements.delete(key);
      return deployInto(input, code, plan, files, api, await placementFor(api, input.project));
    }
  }

  async function deployInto(input: DeployInput, code: CodeSource, plan: RailwayServiceSettings, files: SourceFile[], api: RailwayApi, { projectId, environmentId }: Placement): Promise<ProviderDeploymentState> {
    const isProduction = input.environment === 'production';
    // Deterministic: production has one service per project; a retried preview deploy finds
    // the service (and its deployment) it made before.
    const serviceName = isProduction
      ? `${settings.namePrefix}-production-${sha256Hex(`production\n${input.project.id}`).slice(0, 16)}`
      : `${settings.namePrefix}-preview-${sha256Hex(`${input.project.id}\n${input.idempotencyKey}`).slice(0, 16)}`;
    const marker = sha256Hex(`deploy\n${input.project.id}\n${input.idempotencyKey}`).slice(0, 16);
    const existing = (await api.listServices(projectId)).find((service) => service.name === serviceName);
    let domain: string | null = null;
    let serviceId: string;
    let baseline: string | null = null;
    const variablesWith = (previous: string | null) => ({ ...plan.variables, ...input.env, ...input.secrets, ...(isProduction ? { [RAILWAY_MARKER_VARIABLE]: `${marker}:${previous ?? 'none'}` } : {}) });
    if (existing) {
      serviceId = existing.id;
      const instance = await api.getServiceInstance({ serviceId, environmentId });
      domain = instance.domains[0] ?? null;
      const refOf = (deploymentId: string): RailwayDeploymentRef => ({ projectId, environmentId, serviceId, deploymentId, domain, ...(isProduction ? { production: true } : {}) });
      if (!isProduction && instance.latestDeployment) return stateOf(refOf(instance.latestDeployment.id), instance.latestDeployment);
      const current = (await api.getVariables({ projectId, environmentId, serviceId }))[RAILWAY_MARKER_VARIABLE]?.split(':') ?? [];
      if (current[0] === marker) {
        // An earlier attempt of this deploy set the marker: its deployment is the first after the baseline.
        baseline = current[1] && current[1] !== 'none' ? current[1] : null;
        const earlier = await production.firstDeploymentAfter(api, { projectId, environmentId, serviceId }, baseline);
        if (earlier) return stateOf(refOf(earlier.id), earlier);
      } else {
        baseline = instance.latestDeployment?.id ?? null;
      }
      await api.upsertVariables({ projectId, environmentId, serviceId, variables: variablesWith(baseline) });
    } else {
      serviceId = (await api.createService({ projectId, environmentId, name: serviceName, variables: variablesWith(null) })).id;
    }
    await applyServiceSettings(api, { projectId, environmentId, serviceId, repo: code.kind === 'git' ? code.repo : null, settings: plan, region: settings.region });
    domain ??= await api.createServiceDomain({ serviceId, environmentId, ...(settings.targetPort ? { targetPort: settings.targetPort } : {}) });
    const deploymentId =
      code.kind === 'git'
        ? await api.deployCommit({ serviceId, environmentId, commitSha: code.commitSha })
        : (
            await uploadTarball({
              provider,
              fetch: settings.fetch,
              origin: new URL(settings.baseUrl).origin,
              token: settings.token,
              projectId,
              environmentId,
              serviceId,
              message: `Vector ${input.environment} deployment ${input.deploymentId}`,
              body: await createTarball(files),
              requestTimeoutMs: settings.requestTimeoutMs,
              signal: input.signal,
            })
          ).deploymentId;
    // Railway queues every new deployment; the engine polls from here.
    return stateOf({ projectId, environmentId, serviceId, deploymentId, domain, ...(isProduction ? { production: true } : {}) }, { status: 'QUEUED' });
  }

  async function getStatus(input: ProviderDeploymentInput): Promise<ProviderDeploymentState> {
    let ref: RailwayDeploymentRef;
    try {
      ref = decodeDeploymentRef(input.providerDeploymentId);
    } catch (error) {
      // Contract: a deployment this provider cannot find is reported failed, not thrown.
      if (!NotFoundError.isInstance(error)) throw error;
      return { providerDeploymentId: input.providerDeploymentId, status: 'failed', providerStatus: 'NOT_FOUND', url: null, error: { code: 'RAILWAY_NOT_FOUND', message: 'Not a Railway deployment id made by this provider' } };
    }
    try {
      const state = stateOf(ref, await createRailwayApi(client).getDeployment(ref.deploymentId));
      if (ref.production) await production.finishTeardown(ref);
      return state;
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
    capabilities: { environments: ['preview', 'production'], sources: settings.upload === 'tarball' ? ['git', 'files'] : ['git'], logs: true },
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
        return await readRailwayLogs({ api: createRailwayApi(client), deploymentId: ref.deploymentId, cursor: input.cursor, limit: settings.logPageSize, maxPages: settings.logMaxPagesPerRead });
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
      if (ref.production) {
        await production.destroy(ref);
      } else {
        try {
          await createRailwayApi(client).deleteService(ref.serviceId);
        } catch (error) {
          if (!isRailwayNotFound(error)) throw error;
        }
      }
      destroyed.add(input.providerDeploymentId);
    },
  });
}
