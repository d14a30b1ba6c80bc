import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseInput } from '@vector/core';
import { z } from 'zod';

/** Options of {@link createDockerProvider}. Every field has a default. */
export interface DockerProviderOptions {
  /** Registry name. Default `docker`. */
  name?: string;
  /**
   * The Docker daemon's unix socket. Default: the path of `DOCKER_HOST` when it is a
   * `unix://` address, else `/var/run/docker.sock`. (TCP and SSH daemons are not supported.)
   */
  socketPath?: string;
  /**
   * The image generated Dockerfiles build `FROM`: it needs `node` and `/bin/sh`, plus the
   * project's package manager (pnpm, yarn or bun are installed with npm when missing). It must
   * already be on the daemon: the provider never pulls. Default `node:24-slim`.
   */
  baseImage?: string;
  /**
   * Where the provider records its deployments (one small JSON file each, never secret
   * values), so a restart can find their containers again. Default
   * `~/.cache/vector/docker-deployments`.
   */
  stateDir?: string;
  /** Memory limit per container, in bytes (swap is not added). Default 512 MiB. */
  memoryBytes?: number;
  /** CPU limit per container, in billionths of a CPU (`1e9` is one CPU). Default 1 CPU. */
  nanoCpus?: number;
  /** Processes and threads per container. Default 256. */
  pidsLimit?: number;
  /** Size of the writable `/tmp` (a tmpfs) in bytes. Default 64 MiB. */
  tmpfsBytes?: number;
  /**
   * The user containers run as. Default `65534:65534` (nobody): never root. Images are
   * readable by every user, so this needs no entry in the image's /etc/passwd.
   */
  user?: string;
  /**
   * Mount the container's root filesystem read-only (only `/tmp` is writable). Turn it off for
   * a project Dockerfile whose app writes elsewhere. Default true.
   */
  readOnlyRootFilesystem?: boolean;
  /**
   * Which image builder to ask for: `buildkit` (cache mounts keep the package manager's
   * store between builds), `classic`, or `auto`: BuildKit unless the daemon advertises the
   * classic builder. Default `auto`.
   */
  builder?: 'auto' | 'buildkit' | 'classic';
  /**
   * Variables of this process passed to image builds as build arguments, so installs can
   * reach the registry. Default the proxy variables (`HTTP_PROXY`, `HTTPS_PROXY`,
   * `NO_PROXY`, either case), which Docker keeps out of the image's history. Nothing else of
   * this process's environment reaches a build or a container.
   */
  buildArgsFromEnv?: string[];
  /**
   * The public URL of a deployment, with `{id}` standing for its provider id, e.g.
   * `http://{id}.preview.localhost:3001/`; something must route it to
   * {@link DockerProvider.resolveUpstream}. Without it, a deployment's URL is its container's
   * own `http://127.0.0.1:<port>/`.
   */
  publicUrl?: string;
  /** The interface containers listen on (`HOST`, and the URL's host). Default `127.0.0.1`. */
  host?: string;
  /** How long a container has to answer HTTP after it starts. Default 30 s. */
  startTimeoutMs?: number;
  /** Wall-clock limit of an image build (install, type check and build). Default 10 minutes. */
  buildTimeoutMs?: number;
  /** Image builds at once; more wait their turn. Default 2. */
  maxConcurrentBuilds?: number;
  /** Log entries kept in memory per deployment (the engine stores them as they come). Default 5000. */
  maxLogEntries?: number;
  /** Environments offered. Default both. */
  environments?: ReadonlyArray<'preview' | 'production'>;
}

/** The socket named by `DOCKER_HOST` when it is a unix address, else Docker's default. */
export function defaultSocketPath(environment: NodeJS.ProcessEnv = process.env): string {
  const host = environment.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

const schema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').default('docker'),
  socketPath: z.string().min(1).default(() => defaultSocketPath()),
  baseImage: z.string().min(1).regex(/^[^\s]+$/, 'an image reference without spaces').default('node:24-slim'),
  stateDir: z.string().min(1).default(join(homedir(), '.cache', 'vector', 'docker-deployments')).transform((value) => resolve(value)),
  memoryBytes: z.number().int().min(16 * 1024 * 1024).default(512 * 1024 * 1024),
  nanoCpus: z.number().int().min(10_000_000).default(1_000_000_000),
  pidsLimit: z.number().int().min(8).max(1_000_000).default(256),
  tmpfsBytes: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024),
  user: z.string().regex(/^[\w.-]+(?::[\w.-]+)?$/, 'user[:group]').refine((value) => !/^(?:0|root)(?::|$)/.test(value), 'containers never run as root').default('65534:65534'),
  readOnlyRootFilesystem: z.boolean().default(true),
  builder: z.enum(['auto', 'buildkit', 'classic']).default('auto'),
  buildArgsFromEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default(['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']),
  publicUrl: z
    .string()
    .refine((value) => value.includes('{id}'), 'must contain {id}')
    .refine((value) => URL.canParse(value.replace('{id}', 'x')), 'must be an http(s) URL')
    .optional(),
  host: z.string().min(1).default('127.0.0.1'),
  startTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  buildTimeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
  maxConcurrentBuilds: z.number().int().min(1).max(64).default(2),
  maxLogEntries: z.number().int().min(10).max(1_000_000).default(5000),
  environments: z.array(z.enum(['preview', 'production'])).min(1).default(['preview', 'production']),
});

/** Provider settings with defaults applied. */
export type DockerProviderSettings = z.output<typeof schema>;

/** Validates the provider's options (a ValidationError names the field). */
export function parseDockerProviderOptions(options: DockerProviderOptions): DockerProviderSettings {
  return parseInput(schema, options, 'docker provider options');
}
