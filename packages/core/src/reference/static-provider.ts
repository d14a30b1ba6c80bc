import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '../errors/from-zod.js';
import { normalizeFilePath } from '../files/path-rules.js';
import { defineDeploymentProvider } from '../plugins/define-plugins.js';
import type { DeploymentProvider, DeploymentSource, ProviderDeploymentState, ProviderLogPage } from '../plugins/deployment-provider.js';
import type { DeploymentEnvironment, DeploymentLog, DeploymentStatus } from '../schemas/deployment.js';
import type { SourceFile } from '../schemas/source-file.js';
import { createLogBuffer, type LogBuffer } from '../helpers/create-log-buffer.js';
import { assertCanDeploy } from '../helpers/assert-can-deploy.js';
import { environmentNames, lostDeploymentState } from '../helpers/lost-deployment-state.js';
import { startStaticFileServer, type StaticFileServer } from './static-file-server.js';
import { errorMessage } from '../helpers/error-message.js';

/** Options of {@link createStaticProvider}. */
export interface StaticProviderOptions {
  /** Registry name. Default `static`. */
  name?: string;
  /** Interface the servers bind to. Default `127.0.0.1`. */
  host?: string;
  /** Simulated build time between `building` and `live`, in milliseconds. Default 0. */
  buildDelayMs?: number;
  /** Environments offered. Default both `preview` and `production`. */
  environments?: ReadonlyArray<DeploymentEnvironment>;
  /** Log entries kept per deployment; older ones are dropped. Default 1000. */
  maxLogEntries?: number;
}

const optionsSchema = z.object({
  name: z.string().default('static'),
  host: z.string().min(1).default('127.0.0.1'),
  buildDelayMs: z.number().int().nonnegative().max(600_000).default(0),
  environments: z.array(z.enum(['preview', 'production'])).min(1).default(['preview', 'production']),
  maxLogEntries: z.number().int().min(10).max(1_000_000).default(1000),
});

type LogEntry = ProviderLogPage['entries'][number];

interface StaticDeployment {
  id: string;
  status: DeploymentStatus;
  providerStatus: string;
  url: string | null;
  error?: { code: string; message: string };
  server: StaticFileServer | null;
  logs: LogBuffer;
}

/**
 * A {@link DeploymentProvider} for local previews: each deployment loads the version's files
 * and serves them from memory on its own HTTP server (`host`, a free port), `index.html` at
 * `/`. Status goes `pending` → `building` → `live`, or `failed` when the version has no files.
 *
 * Deployments live in this process only: after a restart `getStatus` reports them `failed`.
 * `dispose()` closes every server. Secret values are accepted and never stored or echoed.
 */
export function createStaticProvider(options: StaticProviderOptions = {}): DeploymentProvider {
  const settings = parseInput(optionsSchema, options, 'static provider options');
  const deployments = new Map<string, StaticDeployment>();
  const byIdempotencyKey = new Map<string, string>();
  const builds = new Set<Promise<void>>();
  let disposed = false;

  const log = (deployment: StaticDeployment, level: LogEntry['level'], source: LogEntry['source'], message: string) => {
    deployment.logs.append({ level, source, message });
  };

  const stateOf = (deployment: StaticDeployment): ProviderDeploymentState => ({
    providerDeploymentId: deployment.id,
    status: deployment.status,
    providerStatus: deployment.providerStatus,
    url: deployment.url,
    ...(deployment.error ? { error: { ...deployment.error } } : {}),
  });

  const fail = (deployment: StaticDeployment, code: string, message: string) => {
    if (deployment.status === 'destroyed') return;
    deployment.status = 'failed';
    deployment.providerStatus = 'failed';
    deployment.error = { code, message };
    log(deployment, 'error', 'build', message);
  };

  const build = async (deployment: StaticDeployment, loadFiles: DeploymentSource['getFiles'], redact: (text: string) => string) => {
    deployment.status = 'building';
    deployment.providerStatus = 'building';
    log(deployment, 'info', 'build', 'loading files');
    let files: SourceFile[];
    try {
      files = (await loadFiles()).map((file) => ({ path: normalizeFilePath(file.path), content: file.content }));
    } catch (error) {
      fail(deployment, 'SOURCE_UNAVAILABLE', redact(`Could not load the version's files: ${errorMessage(error)}`));
      return;
    }
    if (files.length === 0) {
      fail(deployment, 'NO_FILES', 'The version has no files to serve');
      return;
    }
    const bytes = files.reduce((total, file) => total + file.content.byteLength, 0);
    log(deployment, 'info', 'build', `received ${files.length} files (${bytes} bytes)`);
    if (!files.some((file) => file.path === 'index.html')) log(deployment, 'warn', 'build', 'no index.html: / will answer 404');
    if (settings.buildDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.buildDelayMs));
    if (deployment.status !== 'building' || disposed) return;
    const server = await startStaticFileServer({
      files,
      host: settings.host,
      onRequest: ({ method, path, status }) => log(deployment, status >= 400 ? 'warn' : 'info', 'runtime', `${method} ${path} ${status}`),
    }).catch((error: unknown) => {
      fail(deployment, 'LISTEN_FAILED', `Could not start the server: ${errorMessage(error)}`);
      return null;
    });
    if (!server) return;
    // destroy() or dispose() may have run while the server was starting.
    if (deployment.status !== 'building' || disposed) {
      await server.close();
      return;
    }
    deployment.server = server;
    deployment.url = server.url;
    deployment.status = 'live';
    deployment.providerStatus = 'serving';
    log(deployment, 'info', 'deploy', `listening on ${server.url}`);
  };

  const track = (promise: Promise<void>) => {
    builds.add(promise);
    void promise.finally(() => builds.delete(promise));
  };

  return defineDeploymentProvider({
    specificationVersion: 'v1',
    name: settings.name,
    capabilities: { environments: settings.environments, sources: ['files'], logs: true, localStatus: true },

    async dispose() {
      disposed = true;
      await Promise.all([...builds]);
      await Promise.all([...deployments.values()].map((deployment) => deployment.server?.close()));
      for (const deployment of deployments.values()) deployment.server = null;
    },

    async deploy(input) {
      assertCanDeploy({ provider: settings.name, disposed, environments: settings.environments, environment: input.environment, signal: input.signal });
      const existingId = byIdempotencyKey.get(input.idempotencyKey);
      const existing = existingId === undefined ? undefined : deployments.get(existingId);
      if (existing) return stateOf(existing);

      const deployment: StaticDeployment = {
        id: `static-${randomUUID()}`,
        status: 'pending',
        providerStatus: 'queued',
        url: null,
        server: null,
        logs: createLogBuffer({ maxEntries: settings.maxLogEntries }),
      };
      deployments.set(deployment.id, deployment);
      byIdempotencyKey.set(input.idempotencyKey, deployment.id);
      const names = environmentNames(input.env, input.secrets);
      log(deployment, 'info', 'build', `deploying version ${input.version.number} of ${input.project.name} to ${input.environment}`);
      // Names only: values (secrets above all) never reach logs.
      if (names.length > 0) log(deployment, 'info', 'build', `environment: ${names.join(', ')}`);
      const secretValues = Object.values(input.secrets).filter((value) => value.length > 0);
      const redact = (text: string) => secretValues.reduce((result, value) => result.split(value).join('[redacted]'), text);
      const state = stateOf(deployment);
      track(build(deployment, () => input.source.getFiles(), redact));
      return state;
    },

    async getStatus({ providerDeploymentId }) {
      const deployment = deployments.get(providerDeploymentId);
      if (deployment) return stateOf(deployment);
      // The contract: a deployment the platform lost (e.g. after a restart) is reported failed.
      return lostDeploymentState(providerDeploymentId, `The ${settings.name} provider has no deployment ${providerDeploymentId}; it may have been lost on restart`);
    },

    async getLogs({ providerDeploymentId, cursor }) {
      const deployment = deployments.get(providerDeploymentId);
      if (!deployment) return { entries: [], cursor: null };
      return deployment.logs.page(cursor);
    },

    async getUrl({ providerDeploymentId }) {
      return deployments.get(providerDeploymentId)?.url ?? null;
    },

    async destroy({ providerDeploymentId }) {
      const deployment = deployments.get(providerDeploymentId);
      if (!deployment || deployment.status === 'destroyed') return;
      deployment.status = 'destroyed';
      deployment.providerStatus = 'destroyed';
      deployment.url = null;
      const server = deployment.server;
      deployment.server = null;
      await server?.close();
      log(deployment, 'info', 'deploy', 'server closed');
    },
  });
}
