import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseInput } from '@vector/core';
import { z } from 'zod';

/** Settings shared by the local provider and the local build checker. */
export interface LocalBuildOptions {
  /**
   * Where dependencies are cached across builds: pnpm's content-addressed store, npm's cache,
   * package metadata and the lockfiles resolved for projects that commit none. Share it between
   * the provider and the build checker. Default `~/.cache/vector/builds`.
   */
  cacheDir?: string;
  /** The npm registry installs use. Default: the package manager's own default. */
  registry?: string;
  /**
   * Variables copied from this process's environment into install steps only, so installs
   * can reach the registry (a CA bundle, a proxy). Default `NODE_EXTRA_CA_CERTS`,
   * `SSL_CERT_FILE`, `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` (either case). Nothing else of
   * this process's environment reaches a build.
   */
  passEnvToInstall?: string[];
  /** Wall-clock limit of the install step. Default 10 minutes. */
  installTimeoutMs?: number;
  /** Wall-clock limit of the type check and of the build step, each. Default 5 minutes. */
  buildTimeoutMs?: number;
  /** Output lines kept per step; further lines are counted, not kept. Default 2000. */
  maxOutputLines?: number;
  /** Builds that run at once; more wait their turn. Default 2. */
  maxConcurrentBuilds?: number;
}

export const localBuildOptionsShape = {
  cacheDir: z.string().min(1).default(join(homedir(), '.cache', 'vector', 'builds')).transform((value) => resolve(value)),
  registry: z.string().url('expected the registry URL').optional(),
  passEnvToInstall: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
    .default(['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']),
  installTimeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
  buildTimeoutMs: z.number().int().min(1000).max(3_600_000).default(300_000),
  maxOutputLines: z.number().int().min(10).max(100_000).default(2000),
  maxConcurrentBuilds: z.number().int().min(1).max(64).default(2),
};

const schema = z.object(localBuildOptionsShape);

/** Build settings with defaults applied. */
export type LocalBuildSettings = z.output<typeof schema>;

/** Validates build settings (a ValidationError names the field). */
export function parseLocalBuildOptions(options: LocalBuildOptions, what: string): LocalBuildSettings {
  return parseInput(schema, options, what);
}
