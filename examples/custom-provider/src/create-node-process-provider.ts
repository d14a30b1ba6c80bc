import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  CancelledError,
  defineDeploymentProvider,
  normalizeFilePath,
  parseInput,
  ValidationError,
  type DeployInput,
  type DeploymentProvider,
  type DeploymentStatus,
  type ProviderDeploymentState,
  type ProviderLogPage,
  errorMessage,
} from '@vector/core';
import { findFreePort } from './find-free-port.js';
import { runNodeProcess, type NodeProcess } from './run-node-process.js';

/** Options of {@link createNodeProcessProvider}. */
export interface NodeProcessProviderOptions {
  /** Registry name. Default `node-process`. */
  name?: string;
  /** Where each deployment's files are written. Default `$VECTOR_NODE_PROCESS_DIR`, else `<tmpdir>/vector-node-process`. */
  workDirectory?: string;
  /** Interface the apps bind to (passed as `HOST`). Default `127.0.0.1`. */
  host?: string;
  /** The `node` binary. Default: the one running this process. */
  nodePath?: string;
  /** How long an app may take to answer HTTP before the deployment fails. Default 15000. */
  startTimeoutMs?: number;
  /** Log entries kept per deployment. Default 1000. */
  maxLogEntries?: number;
}

const optionsSchema = z.object({
  name: z.string().default('node-process'),
  workDirectory: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  nodePath: z.string().min(1).default(process.execPath),
  startTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
  maxLogEntries: z.number().int().min(10).max(1_000_000).default(1000),
});

type LogEntry = ProviderLogPage['entries'][number];

interface Deployment {
  id: string;
  status: DeploymentStatus;
  providerStatus: string;
  url: string | null;
  error?: { code: string; message: string };
  process: NodeProcess | null;
  logs: LogEntry[];
  droppedLogs: number;
}

const staticServerScript = fileURLToPath(new URL('./static-server.mjs', import.meta.url));

/**
 * A {@link DeploymentProvider} that runs each deployment as a local `node` child process:
 * the version's files are written to a directory of their own, then `server.js` runs if the
 * version has one (it must listen on `$HOST:$PORT`), else a small static file server.
 * The deployment is `live` once the app answers HTTP; stdout and stderr become its logs.
 *
 * `env` and secrets reach the app as environment variables; the host's own environment is
 * not inherited. Secret values are redacted from logs. `destroy()` and `dispose()` stop the
 * processes (SIGTERM, then SIGKILL) and delete their files.
 */
export function createNodeProcessProvider(options: NodeProcessProviderOptions = {}): DeploymentProvider {
  const settings = parseInput(
    optionsSchema,
    { ...options, workDirectory: options.workDirectory ?? process.env.VECTOR_NODE_PROCESS_DIR ?? join(tmpdir(), 'vector-node-process') },
    'node-process provider options',
  );
  const deployments = new Map<string, Deployment>();
  const byIdempotencyKey = new Map<string, string>();
  const starts = new Set<Promise<void>>();
  let disposed = false;

  const log = (deployment: Deployment, level: LogEntry['level'], source: LogEntry['source'], message: string) => {
    deployment.logs.push({ timestamp: new Date().toISOString(), level, source, message });
    const excess = deployment.logs.length - settings.maxLogEntries;
    if (excess > 0) {
      deployment.logs.splice(0, excess);
      deployment.droppedLogs += excess;
    }
  };

  const stateOf = (deployment: Deployment): ProviderDeploymentState => ({
    providerDeploymentId: deployment.id,
    status: deployment.status,
    providerStatus: deployment.providerStatus,
    url: deployment.url,
    ...(deployment.error ? { error: { ...deployment.error } } : {}),
  });

  const fail = (deployment: Deployment, code: string, message: string) => {
    if (deployment.status === 'destroyed' || deployment.status === 'failed') return;
    deployment.status = 'failed';
    deployment.providerStatus = 'failed';
    deployment.url = null;
    deployment.error = { code, message };
    log(deployment, 'error', 'deploy', message);
  };

  const stop = async (deployment: Deployment) => {
    const child = deployment.process;
    deployment.process = null;
    await child?.stop(2000);
    await rm(join(settings.workDirectory, deployment.id), { recursive: true, force: true });
  };

  const start = async (deployment: Deployment, input: DeployInput, redact: (text: string) => string) => {
    deployment.status = 'building';
    deployment.providerStatus = 'writing-files';
    const directory = join(settings.workDirectory, deployment.id);
    let paths: string[];
    try {
      const files = await input.source.getFiles();
      if (files.length === 0) return fail(deployment, 'NO_FILES', 'The version has no files to run');
      // normalizeFilePath rejects `..` and absolute paths, so every file lands inside `directory`.
      paths = files.map((file) => normalizeFilePath(file.path));
      for (const [index, file] of files.entries()) {
        const target = join(directory, paths[index] as string);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.content);
      }
    } catch (error) {
      return fail(deployment, 'SOURCE_UNAVAILABLE', redact(`Could not write the version's files: ${errorMessage(error)}`));
    }
    if (deployment.status !== 'building' || disposed) return;
    const port = await findFreePort(settings.host);
    const hasServer = paths.includes('server.js');
    log(deployment, 'info', 'build', `${paths.length} files written; starting ${hasServer ? 'server.js' : 'the static file server'} on port ${port}`);
    deployment.providerStatus = 'starting';
    const child = runNodeProcess({
      nodePath: settings.nodePath,
      script: hasServer ? 'server.js' : staticServerScript,
      args: hasServer ? [] : ['.'],
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', ...input.env, ...input.secrets, HOST: settings.host, PORT: String(port), NODE_ENV: input.environment === 'production' ? 'production' : 'development' },
      onLine: (stream, line) => log(deployment, stream === 'stderr' ? 'error' : 'info', 'runtime', redact(line)),
    });
    deployment.process = child;
    void child.exited.then((exit) => fail(deployment, 'PROCESS_EXITED', `The app exited (${exit})`));
    const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}/`;
    const deadline = Date.now() + settings.startTimeoutMs;
    while (deployment.status === 'building' && deployment.process === child) {
      // Any HTTP answer, even a 404, means the app is up.
      if (await fetch(url, { signal: AbortSignal.timeout(1000) }).then((response) => response.body?.cancel().then(() => true) ?? true, () => false)) {
        deployment.status = 'live';
        deployment.providerStatus = 'running';
        deployment.url = url;
        log(deployment, 'info', 'deploy', `listening on ${url}`);
        return;
      }
      if (Date.now() > deadline) {
        fail(deployment, 'START_TIMEOUT', `The app did not answer on ${url} within ${settings.startTimeoutMs} ms`);
        await stop(deployment);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return defineDeploymentProvider({
    specificationVersion: 'v1',
    name: settings.name,
    capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: true },

    async init() {
      await mkdir(settings.workDirectory, { recursive: true });
    },

    async dispose() {
      disposed = true;
      await Promise.all([...starts]);
      await Promise.all([...deployments.values()].map(stop));
    },

    async deploy(input) {
      if (input.signal?.aborted) throw new CancelledError({ message: 'deploy was cancelled', cause: input.signal.reason });
      if (disposed) throw new ValidationError({ message: `The ${settings.name} provider has been disposed` });
      const existing = deployments.get(byIdempotencyKey.get(input.idempotencyKey) ?? '');
      if (existing) return stateOf(existing);
      const deployment: Deployment = { id: `node-${randomUUID()}`, status: 'pending', providerStatus: 'queued', url: null, process: null, logs: [], droppedLogs: 0 };
      deployments.set(deployment.id, deployment);
      byIdempotencyKey.set(input.idempotencyKey, deployment.id);
      log(deployment, 'info', 'build', `deploying version ${input.version.number} of ${input.project.name} to ${input.environment}`);
      const secretValues = Object.values(input.secrets).filter((value) => value.length > 0);
      const redact = (text: string) => secretValues.reduce((result, value) => result.split(value).join('[redacted]'), text);
      const state = stateOf(deployment);
      const starting = start(deployment, input, redact).catch((error: unknown) => fail(deployment, 'START_FAILED', redact(errorMessage(error))));
      starts.add(starting);
      void starting.finally(() => starts.delete(starting));
      return state;
    },

    async getStatus({ providerDeploymentId }) {
      const deployment = deployments.get(providerDeploymentId);
      if (deployment) return stateOf(deployment);
      return {
        providerDeploymentId,
        status: 'failed',
        providerStatus: 'unknown',
        url: null,
        error: { code: 'DEPLOYMENT_NOT_FOUND', message: `No deployment ${providerDeploymentId} in this process; it may have been lost on restart` },
      };
    },

    async getLogs({ providerDeploymentId, cursor }) {
      const deployment = deployments.get(providerDeploymentId);
      if (!deployment) return { entries: [], cursor: null };
      const from = cursor === null ? 0 : Number(cursor);
      if (!Number.isSafeInteger(from) || from < 0) throw new ValidationError({ message: `Invalid log cursor ${JSON.stringify(cursor)}` });
      const entries = deployment.logs.slice(Math.max(0, from - deployment.droppedLogs)).map((entry) => ({ ...entry }));
      return { entries, cursor: String(deployment.droppedLogs + deployment.logs.length) };
    },

    async getUrl({ providerDeploymentId }) {
      return deployments.get(providerDeploymentId)?.url ?? null;
    },

    async destroy({ providerDeploymentId }) {
      const deployment = deployments.get(providerDeploymentId);
      if (!deployment || deployment.status === 'destroyed') return;
      deployment.status = 'destroyed';
      deployment.providerStatus = 'stopped';
      deployment.url = null;
      await stop(deployment);
      log(deployment, 'info', 'deploy', 'process stopped');
    },
  });
}
