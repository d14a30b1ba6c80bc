import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { assertCanDeploy, createLogBuffer, createSemaphore, defineDeploymentProvider, environmentNames, lostDeploymentState, maskSecrets, type DeployInput, type DeploymentLog, type DeploymentProvider, type DeploymentSource, type LogBuffer, type ProviderDeploymentState, errorMessage } from '@vector/core';
import { deployVersion, type DeploymentRun } from './deploy-version.js';
import { readManifests, removeManifest, writeManifest, type DeploymentManifest } from './deployment-manifest.js';
import { createDockerClient } from './docker-client.js';
import { instanceKey, labelKeys, namesFor } from './docker-labels.js';
import { parseDockerProviderOptions, type DockerProviderOptions } from './docker-provider-options.js';
import { listInstanceResources, removeContainer, removeImage } from './docker-resources.js';
import { followContainerLogs } from './follow-container-logs.js';
import { cleanLine } from './build-image.js';
import { planReconcile } from './reconcile-plan.js';
import { describeExit } from './run-container.js';

type LogEntry = Pick<DeploymentLog, 'timestamp' | 'level' | 'source' | 'message'>;

/** Where a gateway sends a deployment's requests. */
export interface DockerUpstream {
  host: string;
  port: number;
}

/** What `init()` found and did. */
export interface DockerReconcileReport {
  /** Live deployments whose containers still run (by provider id). */
  adopted: string[];
  /** Deployments reported failed: their container is gone, or their build was interrupted. */
  failed: string[];
  /** Containers removed: their deployment is gone (destroyed or unknown) or not live. */
  removedContainers: string[];
  /** Images removed, likewise. */
  removedImages: string[];
  /** Unreadable deployment records. */
  problems: string[];
}

/** The Docker provider: a {@link DeploymentProvider} plus what a gateway and an operator need. */
export interface DockerProvider extends DeploymentProvider {
  /** The upstream serving a deployment (by provider id, the `{id}` of `publicUrl`) while it is live; else null. */
  resolveUpstream(providerDeploymentId: string): DockerUpstream | null;
  /** The id of a deployment's container while it has one; else null. */
  containerId(providerDeploymentId: string): string | null;
  /** The value of the `dev.vector.docker.instance` label on everything this instance creates. */
  readonly instance: string;
  /** What the last `init()` reconciled. */
  readonly reconciled: DockerReconcileReport;
}

interface DockerDeployment {
  manifest: DeploymentManifest;
  status: ProviderDeploymentState['status'];
  providerStatus: string;
  abort: AbortController;
  /** The build and start in flight. */
  task: Promise<void> | null;
  /** The watch of the running container. */
  watching: Promise<void> | null;
  logs: LogBuffer;
  redact: (text: string) => string;
}

/**
 * A {@link DeploymentProvider} that runs each version as a container through the Docker
 * Engine API (its unix socket). A deploy builds an image from the version's files, with a
 * Dockerfile generated from core's `planBuild` or the project's own `Dockerfile`, starts the
 * container with host networking on a free port of `127.0.0.1`, and goes live once it
 * answers HTTP. Build and container output become deployment logs as they happen.
 *
 * Isolation: every container has memory, CPU and process limits, runs as a non-root user
 * with every capability dropped and no privilege escalation, on a read-only root filesystem
 * (a tmpfs `/tmp`), never privileged, with only its deployment's variables, secrets, the port
 * variable and `HOST`. Secrets are given to the container when it starts, never to a build.
 *
 * Containers outlive the provider: `dispose()` stops watching them and cancels builds, and
 * the next `init()` reconciles by label: it adopts live containers, reports deployments whose
 * container is gone as failed, and removes containers and images whose deployment is gone.
 * `destroy` (and preview expiry) removes the container and its image.
 */
export function createDockerProvider(options: DockerProviderOptions = {}): DockerProvider {
  const settings = parseDockerProviderOptions(options);
  const client = createDockerClient({ socketPath: settings.socketPath, provider: settings.name });
  const instance = instanceKey(settings.name, settings.stateDir);
  const deployments = new Map<string, DockerDeployment>();
  const byIdempotencyKey = new Map<string, string>();
  const slots = createSemaphore(settings.maxConcurrentBuilds);
  const reconciled: DockerReconcileReport = { adopted: [], failed: [], removedContainers: [], removedImages: [], problems: [] };
  let buildKit: Promise<boolean> | null = null;
  let disposed = false;

  const useBuildKit = () =>
    (buildKit ??= (async () => {
      if (settings.builder !== 'auto') return settings.builder === 'buildkit';
      const headers = await client.ping();
      // Docker 22.06+ advertises its default builder; older Linux daemons have BuildKit too.
      return headers['builder-version'] !== '1' && (headers.ostype ?? 'linux') === 'linux';
    })().catch((error: unknown) => {
      buildKit = null;
      throw error;
    }));

  const log = (deployment: DockerDeployment, level: LogEntry['level'], source: LogEntry['source'], message: string) => {
    deployment.logs.append({ level, source, message: deployment.redact(message) });
  };

  const stateOf = (deployment: DockerDeployment): ProviderDeploymentState => ({
    providerDeploymentId: deployment.manifest.id,
    status: deployment.status,
    providerStatus: deployment.providerStatus,
    url: deployment.status === 'live' ? deployment.manifest.url : null,
    ...(deployment.status === 'failed' && deployment.manifest.error ? { error: { ...deployment.manifest.error } } : {}),
  });

  const save = async (deployment: DockerDeployment, patch: Partial<DeploymentManifest>) => {
    deployment.manifest = { ...deployment.manifest, ...patch };
    if (deployment.status === 'destroyed') return;
    await writeManifest(settings.stateDir, deployment.manifest).catch(() => undefined);
  };

  /** Removes the deployment's container and image; a daemon that can't be reached throws. */
  const release = async (deployment: DockerDeployment) => {
    const names = namesFor(deployment.manifest.id);
    await removeContainer(client, deployment.manifest.containerId ?? names.container);
    if (deployment.manifest.containerId) await removeContainer(client, names.container);
    await removeImage(client, names.image);
  };

  const fail = async (deployment: DockerDeployment, error: { code: string; message: string }) => {
    if (deployment.status === 'destroyed' || deployment.status === 'failed') return;
    const redacted = { code: error.code, message: deployment.redact(error.message) };
    log(deployment, 'error', 'deploy', redacted.message);
    // A failed deployment keeps nothing running and no image: removed before it reads failed.
    await release(deployment).catch((releaseError: unknown) => log(deployment, 'warn', 'deploy', `could not remove the container or image: ${errorMessage(releaseError)}`));
    // Destroyed meanwhile (`release` awaited the daemon): nothing left to report.
    if (isDestroyed(deployment)) return;
    deployment.status = 'failed';
    deployment.providerStatus = 'failed';
    await save(deployment, { status: 'failed', error: redacted });
  };

  /** Follows the container's output until it stops; a stop after going live fails the deployment. */
  const watch = (deployment: DockerDeployment, containerId: string, since?: number) => {
    let stopped = false;
    let description = 'unknown';
    const tail: string[] = [];
    const following = followContainerLogs({
      client,
      containerId,
      ...(since === undefined ? {} : { since }),
      signal: deployment.abort.signal,
      onLine: (stream, line) => {
        const clean = cleanLine(line);
        if (clean.trim() === '') return;
        tail.push(deployment.redact(clean));
        if (tail.length > 40) tail.shift();
        log(deployment, stream === 'stderr' ? 'warn' : 'info', 'runtime', clean);
      },
    })
      .catch(() => undefined)
      .then(async () => {
        if (deployment.abort.signal.aborted || disposed) return;
        const exit = await describeExit(client, containerId).catch(() => ({ running: true, description: 'unknown' }));
        if (exit?.running) {
          // The stream ended but the container runs (the daemon restarted): follow it again, after a pause.
          await new Promise((resolve) => setTimeout(resolve, 1000));
          if (deployment.abort.signal.aborted || disposed) return;
          const again = watch(deployment, containerId, Math.floor(Date.now() / 1000));
          description = again.description();
          return;
        }
        stopped = true;
        description = exit?.description ?? 'the container is gone';
        if (deployment.status === 'live') {
          await fail(deployment, exit ? { code: 'APP_EXITED', message: `The container stopped (${description})` } : { code: 'CONTAINER_GONE', message: `The container ${namesFor(deployment.manifest.id).container} is gone: it was removed outside Vector` });
        }
      });
    deployment.watching = following;
    return { stopped: () => stopped, description: () => description, tail: () => [...tail] };
  };

  const launch = async (deployment: DockerDeployment, input: Pick<DeployInput, 'env' | 'secrets'> & { files: DeploymentSource['getFiles'] }) => {
    const names = namesFor(deployment.manifest.id);
    const run: DeploymentRun = {
      id: deployment.manifest.id,
      image: names.image,
      container: names.container,
      labels: labelsOf(deployment.manifest),
      signal: deployment.abort.signal,
      log: (level, source, message) => log(deployment, level, source, message),
      setProviderStatus: (status) => {
        if (deployment.status === 'building' || deployment.status === 'pending') deployment.providerStatus = status;
      },
      recordContainer: (containerId, port) => save(deployment, { containerId, port }),
      watch: (containerId) => watch(deployment, containerId),
    };
    const outcome = await deployVersion({ client, settings, buildKit: await useBuildKit(), slots, run, files: input.files, env: input.env, secrets: input.secrets });
    if (outcome.kind === 'cancelled' || deployment.status === 'destroyed') return;
    if (outcome.kind === 'failed') return fail(deployment, outcome.error);
    if (deployment.status !== 'building') return;
    const url = settings.publicUrl ? settings.publicUrl.replace('{id}', deployment.manifest.id) : `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${outcome.port}/`;
    deployment.status = 'live';
    deployment.providerStatus = 'running';
    await save(deployment, { status: 'live', url, error: null });
    log(deployment, 'info', 'deploy', `live at ${url}`);
  };

  const register = (manifest: DeploymentManifest, secretValues: string[]): DockerDeployment => {
    const deployment: DockerDeployment = {
      manifest,
      status: manifest.status === 'failed' ? 'failed' : 'pending',
      providerStatus: manifest.status === 'failed' ? 'failed' : 'queued',
      abort: new AbortController(),
      task: null,
      watching: null,
      logs: createLogBuffer({ maxEntries: settings.maxLogEntries }),
      redact: (text) => maskSecrets(text, secretValues),
    };
    deployments.set(manifest.id, deployment);
    byIdempotencyKey.set(manifest.idempotencyKey, manifest.id);
    return deployment;
  };

  const labelsOf = (manifest: DeploymentManifest): Record<string, string> => ({
    [labelKeys.instance]: instance,
    [labelKeys.providerDeploymentId]: manifest.id,
    [labelKeys.deploymentId]: manifest.deploymentId,
    [labelKeys.projectId]: manifest.projectId,
    [labelKeys.environment]: manifest.environment,
  });

  return Object.assign(
    defineDeploymentProvider({
      specificationVersion: 'v1',
      name: settings.name,
      capabilities: { environments: settings.environments, sources: ['files'], logs: true },

      async init() {
        await client.ping();
        await mkdir(settings.stateDir, { recursive: true });
        const [{ manifests, problems }, resources] = await Promise.all([readManifests(settings.stateDir), listInstanceResources(client, instance)]);
        const plan = planReconcile({ manifests: manifests.filter((manifest) => !deployments.has(manifest.id)), ...resources });
        reconciled.problems.push(...problems);
        for (const container of plan.removeContainers) await removeContainer(client, container);
        for (const image of plan.removeImages) await removeImage(client, image);
        reconciled.removedContainers.push(...plan.removeContainers);
        reconciled.removedImages.push(...plan.removeImages);
        for (const manifest of plan.keep) register(manifest, []);
        for (const { manifest, error } of plan.fail) {
          const deployment = register(manifest, []);
          deployment.status = 'building';
          await fail(deployment, error);
          reconciled.failed.push(manifest.id);
        }
        for (const { manifest, containerId } of plan.adopt) {
          const deployment = register({ ...manifest, containerId }, []);
          deployment.status = 'live';
          deployment.providerStatus = 'running';
          log(deployment, 'info', 'deploy', `watching container ${containerId.slice(0, 12)} again after a restart of the provider`);
          watch(deployment, containerId, Math.floor(Date.now() / 1000));
          reconciled.adopted.push(manifest.id);
        }
      },

      async dispose() {
        disposed = true;
        const running = [...deployments.values()];
        for (const deployment of running) deployment.abort.abort(new Error('the provider is shutting down'));
        await Promise.all(running.flatMap((deployment) => [deployment.task, deployment.watching]).map((task) => task?.catch(() => undefined)));
      },

      async deploy(input) {
        assertCanDeploy({ provider: settings.name, disposed, environments: settings.environments, environment: input.environment, signal: input.signal });
        const existingId = byIdempotencyKey.get(input.idempotencyKey);
        const existing = existingId === undefined ? undefined : deployments.get(existingId);
        if (existing) return stateOf(existing);
        // Refuse while the daemon is unreachable (a retryable ProviderError naming the socket).
        await Promise.all([client.ping(), useBuildKit(), mkdir(settings.stateDir, { recursive: true })]);

        const id = `d${randomBytes(10).toString('hex')}`;
        const manifest: DeploymentManifest = {
          id,
          deploymentId: input.deploymentId,
          idempotencyKey: input.idempotencyKey,
          environment: input.environment,
          projectId: input.project.id,
          versionNumber: input.version.number,
          status: 'building',
          image: namesFor(id).image,
          containerId: null,
          port: null,
          url: null,
          error: null,
          createdAt: new Date().toISOString(),
        };
        await writeManifest(settings.stateDir, manifest);
        const deployment = register(manifest, Object.values(input.secrets));
        log(deployment, 'info', 'build', `deploying version ${input.version.number} of ${input.project.name} to ${input.environment}`);
        const names = environmentNames(input.env, input.secrets);
        if (names.length > 0) log(deployment, 'info', 'build', `environment: ${names.join(', ')}`);
        const state = stateOf(deployment);
        deployment.status = 'building';
        deployment.task = launch(deployment, { files: () => input.source.getFiles(), env: { ...input.env }, secrets: { ...input.secrets } }).catch((error: unknown) =>
          fail(deployment, { code: 'INTERNAL', message: errorMessage(error) }),
        );
        return state;
      },

      async getStatus({ providerDeploymentId }) {
        const deployment = deployments.get(providerDeploymentId);
        if (deployment) return stateOf(deployment);
        return lostDeploymentState(providerDeploymentId, `The ${settings.name} provider has no deployment ${providerDeploymentId}`);
      },

      async getLogs({ providerDeploymentId, cursor }) {
        const deployment = deployments.get(providerDeploymentId);
        if (!deployment) return { entries: [], cursor };
        return deployment.logs.page(cursor);
      },

      async getUrl({ providerDeploymentId }) {
        const deployment = deployments.get(providerDeploymentId);
        return deployment?.status === 'live' ? deployment.manifest.url : null;
      },

      async destroy({ providerDeploymentId }) {
        const deployment = deployments.get(providerDeploymentId);
        if (!deployment || deployment.status === 'destroyed') return;
        deployment.abort.abort(new Error('the deployment was destroyed'));
        await Promise.all([deployment.task, deployment.watching].map((task) => task?.catch(() => undefined)));
        // Removed first: if the daemon can't be reached, destroy throws and can be retried.
        await release(deployment);
        deployment.status = 'destroyed';
        deployment.providerStatus = 'destroyed';
        await removeManifest(settings.stateDir, providerDeploymentId);
        log(deployment, 'info', 'deploy', 'container and image removed');
      },
    }),
    {
      resolveUpstream(providerDeploymentId: string): DockerUpstream | null {
        const deployment = deployments.get(providerDeploymentId);
        return deployment?.status === 'live' && deployment.manifest.port !== null ? { host: settings.host, port: deployment.manifest.port } : null;
      },
      containerId(providerDeploymentId: string): string | null {
        const deployment = deployments.get(providerDeploymentId);
        return deployment && deployment.status !== 'destroyed' ? deployment.manifest.containerId : null;
      },
      instance,
      get reconciled(): DockerReconcileReport {
        return reconciled;
      },
    },
  );
}

/** A check the compiler does not narrow: a deployment's status changes while a call awaits. */
function isDestroyed(deployment: { status: ProviderDeploymentState['status'] }): boolean {
  return deployment.status === 'destroyed';
}

