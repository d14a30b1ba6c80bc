import { ProviderError } from '@vector/core';
import type { RenderClient } from './render-client.js';
import type { RenderRoute } from './map-build-plan.js';
import type { RenderDeploy, RenderOwner, RenderService, RenderServiceAndDeploy } from './render-types.js';

type Wrapped<K extends string, T> = Array<{ [key in K]: T } & { cursor: string }>;

function isNotFound(error: unknown): boolean {
  return ProviderError.isInstance(error) && error.status === 404;
}

/** The Render operations this provider uses, each one typed call, all bound to `signal`. */
export function createRenderApi(client: RenderClient, signal?: AbortSignal) {
  /** Follows Render's cursor pagination: pass the last item's cursor until a page is short. */
  async function* paginate<K extends string, T>(path: string, key: K, query: Record<string, string | ReadonlyArray<string>>, limit = 100): AsyncGenerator<T> {
    let cursor: string | undefined;
    for (;;) {
      const { body } = await client.request<Wrapped<K, T>>({ method: 'GET', path, query: { ...query, limit, cursor }, signal });
      const items = body ?? [];
      for (const item of items) yield item[key];
      const last = items.at(-1);
      if (items.length < limit || !last?.cursor) return;
      cursor = last.cursor;
    }
  }

  return {
    paginate,

    async listOwners(): Promise<RenderOwner[]> {
      const owners: RenderOwner[] = [];
      for await (const owner of paginate<'owner', RenderOwner>('/owners', 'owner', {})) owners.push(owner);
      return owners;
    },

    async findServiceByName(ownerId: string, name: string): Promise<RenderService | null> {
      for await (const service of paginate<'service', RenderService>('/services', 'service', { ownerId: [ownerId], name: [name], includePreviews: 'true' }, 20)) {
        if (service.name === name) return service;
      }
      return null;
    },

    async createService(body: Record<string, unknown>): Promise<RenderServiceAndDeploy> {
      return (await client.request<RenderServiceAndDeploy>({ method: 'POST', path: '/services', body, retryServerErrors: false, signal })).body;
    },

    /** The service, or null when Render no longer has it. */
    async getService(serviceId: string): Promise<RenderService | null> {
      try {
        return (await client.request<RenderService>({ method: 'GET', path: `/services/${encodeURIComponent(serviceId)}`, signal })).body;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    /** `PATCH /services/{id}`: changes the given settings (and nothing else). */
    async updateService(serviceId: string, body: Record<string, unknown>): Promise<RenderService> {
      return (await client.request<RenderService>({ method: 'PATCH', path: `/services/${encodeURIComponent(serviceId)}`, body, signal })).body;
    },

    /** A static site's redirect and rewrite rules, in priority order. */
    async listRoutes(serviceId: string): Promise<RenderRoute[]> {
      const routes: RenderRoute[] = [];
      for await (const route of paginate<'route', RenderRoute & { priority?: number }>(`/services/${encodeURIComponent(serviceId)}/routes`, 'route', {})) routes.push({ type: route.type, source: route.source, destination: route.destination });
      return routes;
    },

    /** `PUT /services/{id}/routes`: replaces all of a static site's redirect and rewrite rules. */
    async replaceRoutes(serviceId: string, routes: ReadonlyArray<RenderRoute>): Promise<void> {
      await client.request({ method: 'PUT', path: `/services/${encodeURIComponent(serviceId)}/routes`, body: routes, signal });
    },

    /** Deletes the service; one that is already gone counts as deleted. */
    async deleteService(serviceId: string): Promise<void> {
      try {
        await client.request({ method: 'DELETE', path: `/services/${encodeURIComponent(serviceId)}`, signal });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    /** The deploy, or null when Render no longer has it (or its service). */
    async getDeploy(serviceId: string, deployId: string): Promise<RenderDeploy | null> {
      try {
        return (await client.request<RenderDeploy>({ method: 'GET', path: `/services/${encodeURIComponent(serviceId)}/deploys/${encodeURIComponent(deployId)}`, signal })).body;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    /** Deploys newest first, stopping before `untilId` (exclusive) when given. */
    async listDeploysSince(serviceId: string, untilId: string | null, max = 100): Promise<RenderDeploy[]> {
      const deploys: RenderDeploy[] = [];
      for await (const deploy of paginate<'deploy', RenderDeploy>(`/services/${encodeURIComponent(serviceId)}/deploys`, 'deploy', {}, 20)) {
        if (deploy.id === untilId || deploys.length >= max) break;
        deploys.push(deploy);
      }
      return deploys;
    },

    async newestDeploy(serviceId: string): Promise<RenderDeploy | null> {
      const { body } = await client.request<Wrapped<'deploy', RenderDeploy>>({ method: 'GET', path: `/services/${encodeURIComponent(serviceId)}/deploys`, query: { limit: 1 }, signal });
      return body?.[0]?.deploy ?? null;
    },

    /** Triggers a deploy. Render may answer 202 without a body: then the result is null. */
    async triggerDeploy(serviceId: string, body: Record<string, unknown>): Promise<RenderDeploy | null> {
      const response = await client.request<RenderDeploy | undefined>({ method: 'POST', path: `/services/${encodeURIComponent(serviceId)}/deploys`, body, retryServerErrors: false, signal });
      return response.body && typeof response.body === 'object' && 'id' in response.body ? response.body : null;
    },

    async cancelDeploy(serviceId: string, deployId: string): Promise<void> {
      await client.request({ method: 'POST', path: `/services/${encodeURIComponent(serviceId)}/deploys/${encodeURIComponent(deployId)}/cancel`, signal });
    },

    /** One env var's value, or null when the service has no such key. */
    async getEnvVar(serviceId: string, key: string): Promise<string | null> {
      try {
        const { body } = await client.request<{ key: string; value?: string }>({ method: 'GET', path: `/services/${encodeURIComponent(serviceId)}/env-vars/${encodeURIComponent(key)}`, signal });
        return body?.value ?? null;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    /** Replaces all of the service's env vars. The answer (which echoes values) is dropped. */
    async replaceEnvVars(serviceId: string, vars: ReadonlyArray<{ key: string; value: string }>): Promise<void> {
      await client.request({ method: 'PUT', path: `/services/${encodeURIComponent(serviceId)}/env-vars`, body: vars, signal });
    },
  };
}

/** The typed Render operations. */
export type RenderApi = ReturnType<typeof createRenderApi>;
