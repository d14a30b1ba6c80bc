import { request } from 'node:http';
import { createServer } from 'node:net';
import type { DockerClient } from './docker-client.js';
import type { DockerProviderSettings } from './docker-provider-options.js';

/**
 * Creates and starts a deployment's container: host networking (it listens on `port` at the
 * provider's host, never on a Docker network), the memory, CPU and process limits, every
 * capability dropped, no privilege escalation, a non-root user, a read-only root filesystem
 * with a tmpfs `/tmp`, no restart policy (a stopped app is reported, not silently restarted)
 * and capped json-file logs. Its environment is exactly `env`. Returns the container's id.
 */
export async function startContainer(input: {
  client: DockerClient;
  settings: DockerProviderSettings;
  image: string;
  name: string;
  labels: Record<string, string>;
  env: Record<string, string>;
}): Promise<string> {
  const { client, settings } = input;
  const created = await client.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', {
    query: { name: input.name },
    body: {
      Image: input.image,
      Env: Object.entries(input.env).map(([name, value]) => `${name}=${value}`),
      User: settings.user,
      Labels: input.labels,
      Tty: false,
      OpenStdin: false,
      HostConfig: {
        NetworkMode: 'host',
        Privileged: false,
        Memory: settings.memoryBytes,
        MemorySwap: settings.memoryBytes,
        NanoCpus: settings.nanoCpus,
        PidsLimit: settings.pidsLimit,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: settings.readOnlyRootFilesystem,
        Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${settings.tmpfsBytes}` },
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
    },
  });
  await client.json('POST', `/containers/${created.Id}/start`);
  return created.Id;
}

/** How a container's state reads after it stopped. */
export async function describeExit(client: DockerClient, containerId: string): Promise<{ running: boolean; description: string } | null> {
  try {
    const inspected = await client.json<{ State?: { Running?: boolean; ExitCode?: number; OOMKilled?: boolean; Error?: string } }>('GET', `/containers/${containerId}/json`);
    const state = inspected.State ?? {};
    const description = state.OOMKilled ? `killed: out of memory (exit ${state.ExitCode ?? '?'})` : state.Error ? state.Error : `exit ${state.ExitCode ?? 'unknown'}`;
    return { running: state.Running === true, description };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/** A port nothing listens on now at `host`, chosen by the system. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `http://host:port/` until anything answers HTTP (any status): `answered`; or until
 * `stopped()` says the container is gone: `stopped`; or `timeoutMs`: `timeout`.
 */
export async function waitUntilAnswering(input: { host: string; port: number; timeoutMs: number; signal: AbortSignal; stopped: () => boolean }): Promise<'answered' | 'stopped' | 'timeout' | 'aborted'> {
  const deadline = Date.now() + input.timeoutMs;
  for (;;) {
    if (input.signal.aborted) return 'aborted';
    if (input.stopped()) return 'stopped';
    if (await answers(input.host, input.port)) return 'answered';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const call = request({ host, port, path: '/', method: 'GET', timeout: 2000, agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    call.on('timeout', () => call.destroy());
    call.on('error', () => resolve(false));
    call.end();
  });
}
