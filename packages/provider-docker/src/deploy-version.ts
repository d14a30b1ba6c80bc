import { errorMessage, type SourceFile } from '@vector/core';
import { createBuildContext, type BuildContext } from './build-context.js';
import { buildImage } from './build-image.js';
import type { DockerClient } from './docker-client.js';
import type { DockerProviderSettings } from './docker-provider-options.js';
import { removeContainer, removeImage } from './docker-resources.js';
import { freePort, startContainer, waitUntilAnswering } from './run-container.js';
import type { Semaphore } from '@vector/core';

type Level = 'info' | 'warn' | 'error';

/** What {@link deployVersion} needs from the deployment it runs for. */
export interface DeploymentRun {
  readonly id: string;
  readonly image: string;
  readonly container: string;
  readonly labels: Record<string, string>;
  /** Aborted by destroy and shutdown. */
  readonly signal: AbortSignal;
  log(level: Level, source: 'build' | 'deploy', message: string): void;
  setProviderStatus(status: string): void;
  /** The container exists: record it, so destroy and a restart find it. */
  recordContainer(containerId: string, port: number): Promise<void>;
  /** Starts following the container's output; `stopped()` turns true once it stops. */
  watch(containerId: string): { stopped(): boolean; description(): string; tail(): string[] };
}

/** How a deployment's build and start ended. */
export type DeployOutcome = { kind: 'live'; port: number; containerId: string } | { kind: 'failed'; error: { code: string; message: string } } | { kind: 'cancelled' };

/**
 * Builds a version into an image and runs it until it answers HTTP:
 * 1. loads the files and makes the build context (the project's Dockerfile, or one generated
 *    from `planBuild`); a version that can't be planned fails with `PLAN_FAILED`;
 * 2. checks every base image is on the daemon (`IMAGE_NOT_FOUND` with the daemon's message
 *    otherwise: nothing is ever pulled);
 * 3. builds the image (`INSTALL_FAILED`, `TYPECHECK_FAILED`, `BUILD_FAILED`);
 * 4. starts the container on a free port with the deployment's variables, its secrets, the
 *    port variable and `HOST`, and nothing else (`RUN_FAILED` when the daemon refuses);
 * 5. waits until it answers HTTP, any status (`START_FAILED` when it stops first or stays
 *    silent for `startTimeoutMs`).
 * What it created is removed again when it fails or is cancelled.
 */
export async function deployVersion(input: {
  client: DockerClient;
  settings: DockerProviderSettings;
  buildKit: boolean;
  slots: Semaphore;
  run: DeploymentRun;
  files: () => Promise<SourceFile[]>;
  env: Readonly<Record<string, string>>;
  secrets: Readonly<Record<string, string>>;
}): Promise<DeployOutcome> {
  const { client, settings, run } = input;
  const cancelled = (): DeployOutcome | null => (run.signal.aborted ? { kind: 'cancelled' } : null);

  run.setProviderStatus('loading files');
  let files: SourceFile[];
  try {
    files = await input.files();
  } catch (error) {
    return { kind: 'failed', error: { code: 'SOURCE_UNAVAILABLE', message: `The version's files could not be loaded: ${messageOf(error)}` } };
  }
  if (cancelled()) return { kind: 'cancelled' };

  let context: BuildContext;
  try {
    context = createBuildContext({ files, baseImage: settings.baseImage, env: input.env, buildKit: input.buildKit });
  } catch (error) {
    const message = messageOf(error);
    run.log('error', 'build', message);
    return { kind: 'failed', error: { code: 'PLAN_FAILED', message } };
  }
  if (context.plan) run.log('info', 'build', `build plan: ${context.plan.kind}${context.plan.packageManager ? ` with ${context.plan.packageManager}` : ''} (${context.plan.reasons.join('; ')})`);
  else run.log('info', 'build', 'building with the project’s own Dockerfile');

  for (const image of context.baseImages) {
    try {
      await client.json('GET', `/images/${encodeURIComponent(image)}/json`);
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      const message = `${messageOf(error)} (the Docker provider never pulls: load the image on the daemon first, e.g. docker pull ${image})`;
      run.log('error', 'build', message);
      return { kind: 'failed', error: { code: 'IMAGE_NOT_FOUND', message } };
    }
  }

  const buildArgs = Object.fromEntries(settings.buildArgsFromEnv.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])));
  run.setProviderStatus('queued for a build slot');
  const built = await input.slots.run(async () => {
    if (run.signal.aborted) return null;
    run.setProviderStatus('building image');
    run.log('info', 'build', `building image ${run.image} with ${input.buildKit ? 'BuildKit' : 'the classic builder'}`);
    const started = Date.now();
    const outcome = await buildImage({
      client,
      context,
      tag: run.image,
      labels: run.labels,
      buildKit: input.buildKit,
      buildArgs,
      timeoutMs: settings.buildTimeoutMs,
      signal: run.signal,
      onLine: (level, message) => run.log(level, 'build', message),
    });
    if (outcome.ok) run.log('info', 'build', `image built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return outcome;
  });
  if (!built || cancelled()) {
    await removeImage(client, run.image).catch(() => undefined);
    return { kind: 'cancelled' };
  }
  if (!built.ok) return built.cancelled ? { kind: 'cancelled' } : { kind: 'failed', error: built.error };

  run.setProviderStatus('starting');
  const port = await freePort(settings.host);
  const portVariable = context.plan?.portVariable ?? 'PORT';
  const env = { ...input.env, ...input.secrets, PORT: String(port), [portVariable]: String(port), HOST: settings.host };
  let containerId: string;
  try {
    containerId = await startContainer({ client, settings, image: run.image, name: run.container, labels: run.labels, env });
  } catch (error) {
    await removeContainer(client, run.container).catch(() => undefined);
    const message = `The daemon could not run the container: ${messageOf(error)}`;
    run.log('error', 'deploy', message);
    return { kind: 'failed', error: { code: 'RUN_FAILED', message } };
  }
  await run.recordContainer(containerId, port);
  if (cancelled()) return { kind: 'cancelled' };
  const watched = run.watch(containerId);
  run.log('info', 'deploy', `container ${containerId.slice(0, 12)} started; waiting for HTTP on ${settings.host}:${port} (${portVariable})`);
  const answered = await waitUntilAnswering({ host: settings.host, port, timeoutMs: settings.startTimeoutMs, signal: run.signal, stopped: watched.stopped });
  if (answered === 'aborted') return { kind: 'cancelled' };
  if (answered === 'answered') return { kind: 'live', port, containerId };
  // Give the last lines a moment to arrive before quoting them.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const tail = watched.tail().slice(-8);
  const reason =
    answered === 'stopped'
      ? `The container stopped (${watched.description()}) before answering HTTP on ${portVariable}=${port}`
      : `The container did not answer HTTP on ${portVariable}=${port} within ${Math.round(settings.startTimeoutMs / 1000)} s (it must listen on $${portVariable} at $HOST)`;
  return { kind: 'failed', error: { code: 'START_FAILED', message: `${reason}${tail.length > 0 ? `:\n${tail.join('\n')}` : ''}`.slice(0, 4000) } };
}

function messageOf(error: unknown): string {
  return errorMessage(error);
}
