import { defineDeploymentProvider, type DeployInput, type DeploymentProvider, type GitSource, planSource, type ProviderDeploymentInput, type ProviderDeploymentState, ProviderError, redactSecretValues, UnsupportedError, untilAborted, ValidationError } from '@vector/core';
import { readRenderLogs } from './read-render-logs.js';
import { isSettledRenderStatus, mapRenderStatus } from './map-render-status.js';
import { decodeDeploymentRef, encodeDeploymentRef, isDeploymentRef, type RenderDeploymentRef } from './render-deployment-ref.js';
import { createRenderApi, type RenderApi } from './render-api.js';
import { createRenderClient } from './render-client.js';
import { resolveRenderProviderOptions, type RenderProviderOptions } from './render-provider-options.js';
import type { RenderDeploy, RenderService } from './render-types.js';
import { mapBuildPlan, type RenderServiceSettings } from './map-build-plan.js';
import { createServiceBody, syncServiceSettings } from './service-settings.js';
import { deploymentMarkerKey, serviceName } from './service-naming.js';

/**
 * Env var Vector sets on every service it deploys: `<key hash>:<newest deploy id before ours>`.
 * It lets a retried deploy (even from another process) find the deploy an earlier attempt
 * triggered instead of triggering a second one.
 */
export const RENDER_MARKER_ENV = 'VECTOR_DEPLOYMENT_MARKER';

/** A Vector deployment provider for Render. */
export type RenderProvider = DeploymentProvider;

function stateOf(ref: RenderDeploymentRef, service: RenderService, deploy: RenderDeploy, destroyed = false): ProviderDeploymentState {
  // A destroyed production deploy may serve until its replacement settles; it no longer counts.
  const status = destroyed ? 'destroyed' : mapRenderStatus(deploy.status);
  return {
    providerDeploymentId: encodeDeploymentRef(ref),
    status,
    providerStatus: deploy.status,
    url: status === 'live' ? (service.serviceDetails?.url ?? null) : null,
    ...(status === 'failed' ? { error: { code: `RENDER_${deploy.status.toUpperCase()}`, message: `Render deploy ${deploy.id} of service ${service.name} ended ${deploy.status}` } } : {}),
  };
}

/**
 * Creates the Render deployment provider. Each preview is its own Render service; production
 * is one service per project whose deploys replace each other without downtime. The version's
 * build plan decides the service: a static or single-page app is a static site, a server a web
 * service with the plan's commands. Builds come from the version's Git commit, never from a
 * push: services have auto-deploy off. See the README for what internal storage needs.
 *
 * ```ts
 * const render = createRenderProvider({ apiKey: process.env.RENDER_API_KEY, ownerId: 'tea-…' });
 * const vector = createVector({ database, storage: [github], providers: [render] });
 * ```
 */
export function createRenderProvider(options: RenderProviderOptions = {}): RenderProvider {
  const settings = resolveRenderProviderOptions(options);
  const provider = settings.name;
  const client = createRenderClient({ apiKey: settings.apiKey, baseUrl: settings.baseUrl, fetch: settings.fetch ?? globalThis.fetch, provider, retry: settings.retry, requestTimeoutMs: settings.requestTimeoutMs });
  const api: RenderApi = createRenderApi(client);
  // Ids this instance deleted: Render forgets a deleted service, so only we know it was us.
  const destroyedIds = new Set<string>();
  // Production service id → live deploy destroyed while a newer deploy was still in progress.
  const pendingTeardowns = new Map<string, string>();
  let ownerPromise: Promise<string> | null = null;

  function ownerId(): Promise<string> {
    ownerPromise ??= (async () => {
      if (settings.ownerId) return settings.ownerId;
      const owners = await api.listOwners();
      if (owners.length === 1 && owners[0]) return owners[0].id;
      throw new ValidationError({
        message: `The Render API key sees ${owners.length} workspaces (${owners.map((owner) => owner.id).join(', ') || 'none'}); set ownerId (or RENDER_OWNER_ID) to choose one`,
        issues: [{ path: ['ownerId'], message: 'required' }],
      });
    })().catch((error: unknown) => {
      ownerPromise = null;
      throw error;
    });
    return ownerPromise;
  }

  /** Cancels the deploys in progress that build something other than `commitSha` (the branch head a new service starts with). */
  async function cancelForeignDeploys(scoped: RenderApi, serviceId: string, commitSha: string): Promise<void> {
    for (const deploy of await scoped.listDeploysSince(serviceId, null, 20)) {
      if (isSettledRenderStatus(deploy.status) || deploy.commit?.id === commitSha) continue;
      // A 409 means it finished meanwhile; nothing to stop.
      await scoped.cancelDeploy(serviceId, deploy.id).catch((error: unknown) => {
        if (!(ProviderError.isInstance(error) && error.status === 409)) throw error;
      });
    }
  }

  async function findOrCreateService(scoped: RenderApi, input: DeployInput, git: GitSource, plan: RenderServiceSettings): Promise<RenderService> {
    const owner = await untilAborted(ownerId(), input.signal, 'The Render deploy was cancelled');
    const name = serviceName({ prefix: settings.serviceNamePrefix, environment: input.environment, type: plan.type, project: input.project, idempotencyKey: input.idempotencyKey });
    const existing = await scoped.findServiceByName(owner, name);
    if (existing) {
      await syncServiceSettings(scoped, existing, plan);
      return existing;
    }
    let created;
    try {
      // Never repeated blindly: a lost answer may have created the service (and its first deploy).
      created = await scoped.createService(createServiceBody(settings, { name, ownerId: owner, git, environment: input.environment, settings: plan }));
    } catch (error) {
      // Lost answer, 5xx, or a concurrent/earlier attempt created it between our lookup and our create.
      const ambiguous = ProviderError.isInstance(error) && (error.status === undefined || error.status >= 500 || error.status === 409);
      const found = ambiguous ? await scoped.findServiceByName(owner, name) : null;
      if (!found) throw error;
      // Creating a service starts a deploy of the branch head that would replace our version.
      await cancelForeignDeploys(scoped, found.id, git.commitSha);
      await syncServiceSettings(scoped, found, plan);
      return found;
    }
    // Creating a service builds the branch head; we build the version's exact commit instead.
    if (created.deployId) await scoped.cancelDeploy(created.service.id, created.deployId).catch(() => undefined);
    return created.service;
  }

  async function findOurDeployIn(scoped: RenderApi, serviceId: string, baseline: string | null, commitSha: string): Promise<RenderDeploy | null> {
    const since = await scoped.listDeploysSince(serviceId, baseline);
    return since.find((deploy) => deploy.commit?.id === commitSha) ?? null;
  }

  async function deployFromGit(input: DeployInput, git: GitSource): Promise<ProviderDeploymentState> {
    // Every call of this deploy honours the caller's signal.
    const api = createRenderApi(client, input.signal);
    const findOurDeploy = (serviceId: string, baseline: string | null, commitSha: string) => findOurDeployIn(api, serviceId, baseline, commitSha);
    const plan = mapBuildPlan((await planSource(input.source)).plan, settings);
    const service = await findOrCreateService(api, input, git, plan);
    const marker = deploymentMarkerKey(input);
    const current = (await api.getEnvVar(service.id, RENDER_MARKER_ENV))?.split(':') ?? [];
    let baseline: string | null;
    if (current[0] === marker) {
      baseline = current[1] && current[1] !== 'none' ? current[1] : null;
      const earlier = await findOurDeploy(service.id, baseline, git.commitSha);
      if (earlier) return stateOf({ environment: input.environment, serviceId: service.id, deployId: earlier.id }, service, earlier);
    } else {
      baseline = (await api.newestDeploy(service.id))?.id ?? null;
      const vars = [...Object.entries({ ...plan.env, ...input.env }), ...Object.entries(input.secrets)].map(([key, value]) => ({ key, value }));
      await api.replaceEnvVars(service.id, [...vars, { key: RENDER_MARKER_ENV, value: `${marker}:${baseline ?? 'none'}` }]);
    }
    let deploy: RenderDeploy | null;
    try {
      deploy = await api.triggerDeploy(service.id, { commitId: git.commitSha, clearCache: 'do_not_clear' });
    } catch (error) {
      // A 5xx or lost answer may still have created the deploy: look before anyone retries.
      const ambiguous = ProviderError.isInstance(error) && (error.status === undefined || error.status >= 500);
      deploy = ambiguous ? await findOurDeploy(service.id, baseline, git.commitSha) : null;
      if (!deploy) throw error;
    }
    // Render may accept with 202 and no body; the deploy then shows up in the list.
    deploy ??= await findOurDeploy(service.id, baseline, git.commitSha);
    if (!deploy) throw new ProviderError({ provider, message: `Render accepted a deploy of ${service.name} but does not list it yet`, isRetryable: true });
    return stateOf({ environment: input.environment, serviceId: service.id, deployId: deploy.id }, service, deploy);
  }

  function gone(ref: RenderDeploymentRef, what: string): ProviderDeploymentState {
    const providerDeploymentId = encodeDeploymentRef(ref);
    if (destroyedIds.has(providerDeploymentId)) return { providerDeploymentId, status: 'destroyed', providerStatus: 'deleted', url: null };
    return { providerDeploymentId, status: 'failed', providerStatus: 'not_found', url: null, error: { code: 'RENDER_NOT_FOUND', message: `Render no longer has ${what} (deleted outside Vector?)` } };
  }

  async function getStatus(input: ProviderDeploymentInput): Promise<ProviderDeploymentState> {
    if (!isDeploymentRef(input.providerDeploymentId)) {
      return { providerDeploymentId: input.providerDeploymentId, status: 'failed', providerStatus: 'not_found', url: null, error: { code: 'RENDER_NOT_FOUND', message: 'This is not a deployment id of the Render provider' } };
    }
    const ref = decodeDeploymentRef(input.providerDeploymentId);
    const service = await api.getService(ref.serviceId);
    if (!service) return gone(ref, `service ${ref.serviceId}`);
    const deploy = await api.getDeploy(ref.serviceId, ref.deployId);
    if (!deploy) return gone(ref, `deploy ${ref.deployId} of service ${ref.serviceId}`);
    await finishTeardown(ref.serviceId);
    return stateOf(ref, service, deploy, destroyedIds.has(input.providerDeploymentId));
  }

  /**
   * Completes a recorded teardown once no deploy of the service is in progress: if the
   * destroyed deploy was replaced, Render already took it down; if it still serves (the
   * newer deploy failed or was cancelled), the service is deleted.
   */
  async function finishTeardown(serviceId: string): Promise<void> {
    const deployId = pendingTeardowns.get(serviceId);
    if (!deployId) return;
    const recent = await api.listDeploysSince(serviceId, null, 20);
    if (recent.some((other) => !isSettledRenderStatus(other.status))) return;
    if (recent.find((other) => other.id === deployId)?.status === 'live') await api.deleteService(serviceId);
    pendingTeardowns.delete(serviceId);
  }

  /** Production: our deploy stops counting; the service goes only when nothing else runs on it. */
  async function destroyProduction(ref: RenderDeploymentRef): Promise<void> {
    const deploy = await api.getDeploy(ref.serviceId, ref.deployId);
    if (!deploy) return;
    if (!isSettledRenderStatus(deploy.status)) await api.cancelDeploy(ref.serviceId, ref.deployId).catch(() => undefined);
    else if (deploy.status !== 'live') return; // superseded or failed: nothing of ours is running
    const recent = await api.listDeploysSince(ref.serviceId, null, 20);
    const othersRunning = recent.some((other) => other.id !== deploy.id && (other.status === 'live' || !isSettledRenderStatus(other.status)));
    if (!othersRunning) {
      await api.deleteService(ref.serviceId);
      return;
    }
    // Ours is live and a newer deploy is on its way: it replaces ours if it goes live; if it
    // fails, ours would keep serving, so the teardown is finished when it settles.
    if (deploy.status === 'live') pendingTeardowns.set(ref.serviceId, ref.deployId);
  }

  return defineDeploymentProvider({
    specificationVersion: 'v1',
    name: provider,
    capabilities: { environments: settings.environments, sources: ['git'], logs: true },

    async deploy(input) {
      if (!settings.environments.includes(input.environment)) {
        throw new UnsupportedError({ message: `This Render provider is configured for ${settings.environments.join(' and ')} only`, details: { provider, environment: input.environment } });
      }
      const git = input.source.git;
      if (!git) {
        throw new UnsupportedError({
          message:
            "Render builds from a Git repository and its API cannot take uploaded files; this version's storage has no Git source. Store the project with @vector/storage-github (and connect Render to that GitHub account), or deploy it with a provider that accepts files.",
          details: { provider, alternative: '@vector/storage-github' },
        });
      }
      try {
        return await deployFromGit(input, git);
      } catch (error) {
        throw redactSecretValues(error, { provider: 'render', secrets: Object.values(input.secrets) });
      }
    },

    getStatus,

    async getLogs(input) {
      const ref = decodeDeploymentRef(input.providerDeploymentId);
      const deploy = await api.getDeploy(ref.serviceId, ref.deployId);
      if (!deploy) return { entries: [], cursor: input.cursor };
      return readRenderLogs({ client, ownerId: await ownerId(), serviceId: ref.serviceId, deploy, cursor: input.cursor, now: new Date() });
    },

    async getUrl(input) {
      return (await getStatus(input)).url;
    },

    async destroy(input) {
      const ref = decodeDeploymentRef(input.providerDeploymentId);
      if (ref.environment === 'preview') await api.deleteService(ref.serviceId);
      else await destroyProduction(ref);
      destroyedIds.add(input.providerDeploymentId);
      if (ref.environment === 'production') await finishTeardown(ref.serviceId);
    },
  });
}
