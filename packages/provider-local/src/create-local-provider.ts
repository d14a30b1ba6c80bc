import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import {
  assertCanDeploy,
  createLogBuffer,
  createSemaphore,
  defineDeploymentProvider,
  environmentNames,
  lostDeploymentState,
  maskSecrets,
  ValidationError,
  type LogBuffer,
  type DeployInput,
  type DeploymentProvider,
  type DeploymentLog,
  type DeploymentSource,
  type ProviderDeploymentState,
  type SourceFile,
  errorMessage,
} from '@vector/core';
import { buildVersion } from './build-version.js';
import { readManifests, writeManifest, type DeploymentManifest } from './deployment-manifest.js';
import { parseLocalProviderOptions, type LocalProviderOptions } from './local-provider-options.js';
import { createOutputCache } from './output-cache.js';
import { startApp } from './start-app.js';
import { serveOutput } from './serve-output.js';
import { createStepRunner } from './step-runner.js';
import { prepareToolchain, sandboxEnv, type Toolchain } from './toolchain.js';
import type { RunningCommand } from './run-command.js';

type LogEntry = Pick<DeploymentLog, 'timestamp' | 'level' | 'source' | 'message'>;

/** Where the gateway sends a deployment's requests. */
export interface LocalUpstream {
  host: string;
  port: number;
}

/** The local provider: a {@link DeploymentProvider} plus what a gateway and an operator need. */
export interface LocalProvider extends DeploymentProvider {
  /** The upstream serving a deployment (by provider id, the `{id}` of `publicUrl`) while it is live; else null. */
  resolveUpstream(providerDeploymentId: string): LocalUpstream | null;
  /** The process ids a deployment is running now (build steps or its server), for operators and tests. */
  processIds(providerDeploymentId: string): number[];
  /** Problems met while restoring deployments on `init()` (unreadable manifests). */
  readonly restoreProblems: ReadonlyArray<string>;
}

interface LocalDeployment {
  manifest: DeploymentManifest;
  dir: string;
  status: ProviderDeploymentState['status'];
  providerStatus: string;
  url: string | null;
  upstream: LocalUpstream | null;
  /** The build step or server app running now. */
  process: RunningCommand | null;
  closeServer: (() => Promise<void>) | null;
  abort: AbortController;
  logs: LogBuffer;
  redact: (text: string) => string;
}

/**
 * A {@link DeploymentProvider} that really builds and runs versions on this machine,
 * following `planBuild`: it writes the files to a fresh directory, installs dependencies
 * from a shared cache, type-checks and builds, then serves the output (with an SPA
 * fallback) or starts the server app on a free port and waits until it answers HTTP.
 * Every output line becomes a deployment log as it happens.
 *
 * Isolation: each step runs as this OS user in its own process group, with a minimal
 * environment (never this process's variables or secrets), install scripts off, wall-clock
 * limits and capped output. It is **not** a sandbox: the code can read what this user can
 * read. For untrusted code in production, use the Docker provider.
 *
 * Deployments survive a restart: `init()` reads their manifests and serves or rebuilds the
 * ones that were live or building (a server app deployed with secrets fails instead, since
 * secret values are never written down). `destroy` kills every process and removes the
 * directory; `dispose` kills every process and keeps the directory for the next start.
 */
export function createLocalProvider(options: LocalProviderOptions = {}): LocalProvider {
  const settings = parseLocalProviderOptions(options);
  const deployments = new Map<string, LocalDeployment>();
  const byIdempotencyKey = new Map<string, string>();
  const tasks = new Set<Promise<void>>();
  const slots = createSemaphore(settings.maxConcurrentBuilds);
  const outputCache = settings.maxCachedOutputs > 0 ? createOutputCache({ directory: join(settings.cacheDir, 'outputs'), maxEntries: settings.maxCachedOutputs }) : undefined;
  const restoreProblems: string[] = [];
  let toolchain: Promise<Toolchain> | null = null;
  let disposed = false;

  const tools = () => (toolchain ??= prepareToolchain(settings));

  const log = (deployment: LocalDeployment, level: LogEntry['level'], source: LogEntry['source'], message: string) => {
    deployment.logs.append({ level, source, message: deployment.redact(message) });
  };

  const stateOf = (deployment: LocalDeployment): ProviderDeploymentState => ({
    providerDeploymentId: deployment.manifest.id,
    status: deployment.status,
    providerStatus: deployment.providerStatus,
    url: deployment.status === 'live' ? deployment.url : null,
    ...(deployment.manifest.error && deployment.status === 'failed' ? { error: { ...deployment.manifest.error } } : {}),
  });

  const save = async (deployment: LocalDeployment, patch: Partial<DeploymentManifest>) => {
    deployment.manifest = { ...deployment.manifest, ...patch };
    if (deployment.manifest.status === 'destroyed' && !existsSync(deployment.dir)) return;
    await writeManifest(deployment.dir, deployment.manifest).catch(() => undefined);
  };

  const stopRunning = async (deployment: LocalDeployment) => {
    const running = deployment.process;
    const closeServer = deployment.closeServer;
    deployment.process = null;
    deployment.closeServer = null;
    deployment.upstream = null;
    await Promise.all([running?.kill(), closeServer?.()]);
  };

  const fail = async (deployment: LocalDeployment, error: { code: string; message: string }) => {
    if (deployment.status === 'destroyed' || disposed) return;
    deployment.status = 'failed';
    deployment.providerStatus = error.code.toLowerCase();
    const redacted = { code: error.code, message: deployment.redact(error.message) };
    log(deployment, 'error', 'deploy', redacted.message);
    await stopRunning(deployment);
    await save(deployment, { status: 'failed', error: redacted });
  };

  /** Builds (unless built), then serves or starts the deployment. */
  const launch = async (deployment: LocalDeployment, input: Pick<DeployInput, 'secrets'> & { files: DeploymentSource['getFiles'] | null }) => {
    const { signal } = deployment.abort;
    const home = join(deployment.dir, 'home');
    const tmp = join(deployment.dir, 'tmp');
    const appDir = join(deployment.dir, 'app');
    const toolchainReady = await tools();
    await Promise.all([mkdir(home, { recursive: true }), mkdir(tmp, { recursive: true })]);
    if (!deployment.manifest.built) {
      let files: SourceFile[] | null = null;
      if (!deployment.manifest.filesWritten) {
        if (!input.files) return fail(deployment, { code: 'RESTORE_FAILED', message: 'The deployment was interrupted before its files were written; deploy it again' });
        try {
          files = await input.files();
        } catch (error) {
          return fail(deployment, { code: 'SOURCE_UNAVAILABLE', message: `Could not load the version's files: ${errorMessage(error)}` });
        }
      }
      const built = await slots.run(async () => {
        if (signal.aborted || disposed) return null;
        deployment.providerStatus = 'building';
        const run = createStepRunner({
          cwd: appDir,
          envFor: (step) => sandboxEnv({ toolchain: toolchainReady, settings, home, tmp, step, extra: deployment.manifest.env }),
          settings,
          signal,
          onLog: (line) => log(deployment, line.level, 'build', line.message),
          track: (running) => {
            deployment.process = running;
          },
        });
        return buildVersion({
          files,
          ...(deployment.manifest.plan ? { plan: deployment.manifest.plan } : {}),
          appDir,
          toolchain: toolchainReady,
          run,
          onWritten: (plan) => save(deployment, { plan, filesWritten: true }),
          ...(outputCache ? { outputCache, buildEnv: deployment.manifest.env } : {}),
        });
      });
      if (!built || signal.aborted || disposed) return;
      if (!built.ok) return fail(deployment, built.error);
      await save(deployment, { built: true, plan: built.plan });
    }
    const plan = deployment.manifest.plan;
    if (!plan || signal.aborted || disposed) return;
    if (plan.kind === 'server') {
      if (deployment.manifest.secretNames.length > 0 && Object.keys(input.secrets).length === 0) {
        return fail(deployment, { code: 'RESTORE_FAILED', message: `The server was deployed with secrets (${deployment.manifest.secretNames.join(', ')}), whose values are never stored, so it can't be restarted; deploy it again` });
      }
      deployment.providerStatus = 'starting';
      const started = await startApp({
        plan,
        appDir,
        host: settings.host,
        timeoutMs: settings.startTimeoutMs,
        maxLines: settings.maxOutputLines * 10,
        env: (port) => sandboxEnv({ toolchain: toolchainReady, settings, home, tmp, step: 'run', extra: { ...deployment.manifest.env, ...input.secrets, [plan.portVariable]: String(port), HOST: settings.host } }),
        signal,
        onLine: (line, stream) => log(deployment, stream === 'stderr' ? 'warn' : 'info', 'runtime', line),
        onStarted: (running) => {
          deployment.process = running;
        },
        onExit: (description) => {
          // A server that stops after going live leaves its URL dead: that is a failure.
          if (deployment.status === 'live' && !disposed) void fail(deployment, { code: 'APP_EXITED', message: `The server app stopped (${description})` });
        },
      });
      if (signal.aborted || disposed) return;
      if (!started.ok) return fail(deployment, started.error);
      deployment.upstream = { host: settings.host, port: started.port };
    } else {
      const directory = join(appDir, plan.outputDirectory ?? '.');
      const server = await serveOutput({ directory, host: settings.host, spaFallback: plan.spaFallback, onNotFound: (path) => log(deployment, 'warn', 'runtime', `GET ${path} 404`) }).catch((error: unknown) => error as Error);
      if (server instanceof Error) return fail(deployment, { code: 'LISTEN_FAILED', message: `Could not start the file server: ${server.message}` });
      if (signal.aborted || disposed) {
        await server.close();
        return;
      }
      deployment.closeServer = server.close;
      deployment.upstream = { host: settings.host, port: server.port };
    }
    deployment.url = settings.publicUrl ? settings.publicUrl.replace('{id}', deployment.manifest.id) : `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${deployment.upstream.port}/`;
    deployment.status = 'live';
    deployment.providerStatus = plan.kind === 'server' ? 'running' : 'serving';
    log(deployment, 'info', 'deploy', `live at ${deployment.url}`);
    await save(deployment, { status: 'live', error: null });
  };

  const track = (deployment: LocalDeployment, promise: Promise<void>) => {
    const guarded = promise.catch((error: unknown) => fail(deployment, { code: 'INTERNAL', message: errorMessage(error) }));
    tasks.add(guarded);
    void guarded.finally(() => tasks.delete(guarded));
  };

  const register = (manifest: DeploymentManifest, dir: string, secretValues: string[]): LocalDeployment => {
    const deployment: LocalDeployment = {
      manifest,
      dir,
      status: manifest.status === 'failed' ? 'failed' : manifest.status === 'destroyed' ? 'destroyed' : 'pending',
      providerStatus: manifest.status === 'failed' ? 'failed' : 'queued',
      url: null,
      upstream: null,
      process: null,
      closeServer: null,
      abort: new AbortController(),
      logs: createLogBuffer({ maxEntries: settings.maxLogEntries }),
      redact: (text) => maskSecrets(text, secretValues),
    };
    deployments.set(manifest.id, deployment);
    byIdempotencyKey.set(manifest.idempotencyKey, manifest.id);
    return deployment;
  };

  return Object.assign(
    defineDeploymentProvider({
      specificationVersion: 'v1',
      name: settings.name,
      capabilities: { environments: settings.environments, sources: ['files'], logs: true, localStatus: true },

      async init() {
        assertOutsideProjects(settings.stateDir);
        await mkdir(settings.stateDir, { recursive: true });
        const { manifests, problems } = await readManifests(settings.stateDir);
        restoreProblems.push(...problems);
        for (const { dir, manifest } of manifests) {
          if (deployments.has(manifest.id) || manifest.status === 'destroyed') continue;
          const deployment = register(manifest, dir, []);
          if (manifest.status === 'failed') continue;
          // Live or building when this process last ran: bring it back.
          deployment.status = 'building';
          deployment.providerStatus = 'restoring';
          log(deployment, 'info', 'deploy', manifest.built ? 'restarting after a restart of the provider' : 'rebuilding after a restart of the provider');
          track(deployment, launch(deployment, { files: null, secrets: {} }));
        }
      },

      async dispose() {
        disposed = true;
        for (const deployment of deployments.values()) deployment.abort.abort(new Error('the provider is shutting down'));
        await Promise.all([...deployments.values()].map((deployment) => stopRunning(deployment)));
        await Promise.all([...tasks]);
      },

      async deploy(input) {
        assertCanDeploy({ provider: settings.name, disposed, environments: settings.environments, environment: input.environment, signal: input.signal });
        const existingId = byIdempotencyKey.get(input.idempotencyKey);
        const existing = existingId === undefined ? undefined : deployments.get(existingId);
        if (existing) return stateOf(existing);

        const id = `l${randomBytes(10).toString('hex')}`;
        const dir = join(settings.stateDir, id);
        await mkdir(dir, { recursive: true });
        const manifest: DeploymentManifest = {
          id,
          deploymentId: input.deploymentId,
          idempotencyKey: input.idempotencyKey,
          environment: input.environment,
          projectName: input.project.name,
          versionNumber: input.version.number,
          env: { ...input.env },
          secretNames: Object.keys(input.secrets).sort(),
          status: 'building',
          filesWritten: false,
          built: false,
          plan: null,
          error: null,
          createdAt: new Date().toISOString(),
        };
        await writeManifest(dir, manifest);
        const deployment = register(manifest, dir, Object.values(input.secrets));
        log(deployment, 'info', 'build', `deploying version ${input.version.number} of ${input.project.name} to ${input.environment}`);
        const names = environmentNames(input.env, input.secrets);
        if (names.length > 0) log(deployment, 'info', 'build', `environment: ${names.join(', ')}`);
        const state = stateOf(deployment);
        deployment.status = 'building';
        track(deployment, launch(deployment, { files: () => input.source.getFiles(), secrets: { ...input.secrets } }));
        return state;
      },

      async getStatus({ providerDeploymentId }) {
        const deployment = deployments.get(providerDeploymentId);
        if (deployment) return stateOf(deployment);
        return lostDeploymentState(providerDeploymentId, `The ${settings.name} provider has no deployment ${providerDeploymentId} (its directory under ${settings.stateDir} is gone)`);
      },

      async getLogs({ providerDeploymentId, cursor }) {
        const deployment = deployments.get(providerDeploymentId);
        if (!deployment) return { entries: [], cursor };
        return deployment.logs.page(cursor);
      },

      async getUrl({ providerDeploymentId }) {
        const deployment = deployments.get(providerDeploymentId);
        return deployment?.status === 'live' ? deployment.url : null;
      },

      async destroy({ providerDeploymentId }) {
        const deployment = deployments.get(providerDeploymentId);
        if (!deployment || deployment.status === 'destroyed') return;
        deployment.status = 'destroyed';
        deployment.providerStatus = 'destroyed';
        deployment.url = null;
        deployment.abort.abort(new Error('the deployment was destroyed'));
        await stopRunning(deployment);
        deployment.manifest = { ...deployment.manifest, status: 'destroyed' };
        await rm(deployment.dir, { recursive: true, force: true, maxRetries: 3 });
        log(deployment, 'info', 'deploy', 'stopped and removed');
      },
    }),
    {
      resolveUpstream(providerDeploymentId: string): LocalUpstream | null {
        const deployment = deployments.get(providerDeploymentId);
        return deployment?.status === 'live' ? deployment.upstream : null;
      },
      processIds(providerDeploymentId: string): number[] {
        const pid = deployments.get(providerDeploymentId)?.process?.pid;
        return pid !== undefined && pid > 0 ? [pid] : [];
      },
      get restoreProblems(): ReadonlyArray<string> {
        return restoreProblems;
      },
    },
  );
}

/**
 * Refuses a state directory inside a Node project: Node resolves packages from every
 * `node_modules` above a build, so a version could use packages it never declared.
 */
function assertOutsideProjects(stateDir: string): void {
  let current = dirname(stateDir);
  const { root } = parse(stateDir);
  while (current !== root) {
    for (const marker of ['node_modules', 'package.json', 'pnpm-workspace.yaml']) {
      if (existsSync(join(current, marker))) {
        throw new ValidationError({
          message: `The local provider's stateDir ${stateDir} is inside a Node project (${join(current, marker)} exists above it), so builds could use packages they never declared; choose a directory outside any project`,
          issues: [{ path: ['stateDir'], message: 'inside a Node project' }],
        });
      }
    }
    current = dirname(current);
  }
}

