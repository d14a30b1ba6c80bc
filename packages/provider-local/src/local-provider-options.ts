import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseInput } from '@vector/core';
import { z } from 'zod';
import { localBuildOptionsShape, type LocalBuildOptions } from './local-build-options.js';

/** Options of {@link createLocalProvider}. */
export interface LocalProviderOptions extends LocalBuildOptions {
  /** Registry name. Default `local`. */
  name?: string;
  /**
   * Where each deployment's directory (files, node_modules, build output, manifest) lives.
   * Keep it outside any Node project (no `node_modules` or `package.json` above it), so a
   * build can't resolve packages the version didn't declare. Default
   * `~/.cache/vector/local-deployments`.
   */
  stateDir?: string;
  /**
   * The public URL of a deployment, with `{id}` standing for its provider id (a DNS label),
   * e.g. `http://{id}.preview.localhost:3001/`. Something must route that host to
   * {@link LocalProvider.resolveUpstream} (the reference server does). Without it, a
   * deployment's URL is its upstream server's own `http://127.0.0.1:<port>/`, which changes
   * on restart.
   */
  publicUrl?: string;
  /** The interface upstream servers bind to. Default `127.0.0.1`. */
  host?: string;
  /** How long a server app has to answer HTTP after it starts. Default 30 s. */
  startTimeoutMs?: number;
  /** Log entries kept in memory per deployment (the engine stores them as they come). Default 5000. */
  maxLogEntries?: number;
  /** Environments offered. Default both. */
  environments?: ReadonlyArray<'preview' | 'production'>;
  /**
   * Built outputs of single-page apps and static sites kept under `<cacheDir>/outputs`, keyed
   * by the plan and every file's content, so building the same files again (a rollback, a
   * publish of a previewed version) copies the output instead. 0 turns it off. Default 50.
   */
  maxCachedOutputs?: number;
}

const schema = z.object({
  ...localBuildOptionsShape,
  name: z.string().default('local'),
  stateDir: z.string().min(1).default(join(homedir(), '.cache', 'vector', 'local-deployments')).transform((value) => resolve(value)),
  publicUrl: z
    .string()
    .refine((value) => value.includes('{id}'), 'must contain {id}')
    .refine((value) => URL.canParse(value.replace('{id}', 'x')), 'must be an http(s) URL')
    .optional(),
  host: z.string().min(1).default('127.0.0.1'),
  startTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  maxLogEntries: z.number().int().min(10).max(1_000_000).default(5000),
  environments: z.array(z.enum(['preview', 'production'])).min(1).default(['preview', 'production']),
  maxCachedOutputs: z.number().int().min(0).max(10_000).default(50),
});

/** Provider settings with defaults applied. */
export type LocalProviderSettings = z.output<typeof schema>;

/** Validates the provider's options (a ValidationError names the field). */
export function parseLocalProviderOptions(options: LocalProviderOptions): LocalProviderSettings {
  return parseInput(schema, options, 'local provider options');
}
