import { parseInput } from '@vector/core';
import { z } from 'zod';

/** Render regions a web service can run in. */
export type RenderRegion = 'oregon' | 'ohio' | 'virginia' | 'frankfurt' | 'singapore';

/** Native runtimes Render builds from a repository, plus `docker` (builds the repo's Dockerfile). */
export type RenderRuntime = 'node' | 'python' | 'ruby' | 'go' | 'rust' | 'elixir' | 'docker';

/**
 * Settings of {@link createRenderProvider}. Every field is optional when its environment
 * variable is set.
 */
export interface RenderProviderOptions {
  /** Render API key (Account Settings → API Keys). Default: `RENDER_API_KEY`. */
  apiKey?: string;
  /** API base URL. Default: `RENDER_API_URL` or `https://api.render.com/v1`. */
  baseUrl?: string;
  /** The `fetch` to call Render with (tests, proxies). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Registry name of this provider. Default `render`. */
  name?: string;
  /**
   * Workspace (owner) id, e.g. `tea-…`. Default: `RENDER_OWNER_ID`, else the only workspace
   * the key can see (an error when it sees several).
   */
  ownerId?: string;
  /** Region of new services. Default `oregon`. */
  region?: RenderRegion;
  /** Instance type of new services. Default `starter`. */
  plan?: string;
  /** Preview services' instance type. Default: `plan`. */
  previewPlan?: string;
  /**
   * How Render builds a server version. Default `node`. With `docker` every version is a web
   * service built from the repository's Dockerfile; otherwise static and single-page apps
   * become static sites.
   */
  runtime?: RenderRuntime;
  /**
   * Build command of every service, instead of the version's build plan (install && build,
   * from `planBuild`). Default: the plan's.
   */
  buildCommand?: string;
  /** Start command of web services, instead of the plan's. Default: the plan's. */
  startCommand?: string;
  /** Docker runtime: Dockerfile path. Default `./Dockerfile`. */
  dockerfilePath?: string;
  /** Sub-directory of the repository to build. */
  rootDir?: string;
  /** Path Render probes before it routes traffic to a new deploy. */
  healthCheckPath?: string;
  /** Prefix of service names Vector creates. Default `vector`. */
  serviceNamePrefix?: string;
  /** Environments this provider serves. Default both. */
  environments?: Array<'preview' | 'production'>;
  /** Each HTTP attempt is aborted after this many ms (a retryable `ProviderError`). Default 90000. */
  requestTimeoutMs?: number;
  /** Retries inside one call on 429 and 5xx answers. */
  retry?: {
    /** Default 3. */
    maxRetries?: number;
    /** First backoff delay; doubles per retry. Default 500. */
    baseDelayMs?: number;
    /** A hint longer than this is not waited for: the error goes to the caller with `retryAfterMs`. Default 10000. */
    maxDelayMs?: number;
  };
}

const optionsSchema = z.strictObject({
  apiKey: z.string().min(1, 'a Render API key is required (apiKey or RENDER_API_KEY)'),
  baseUrl: z.url().default('https://api.render.com/v1'),
  fetch: z.custom<typeof fetch>((value) => typeof value === 'function', 'fetch must be a function').optional(),
  name: z.string().default('render'),
  ownerId: z.string().min(1).optional(),
  region: z.enum(['oregon', 'ohio', 'virginia', 'frankfurt', 'singapore']).default('oregon'),
  plan: z.string().min(1).default('starter'),
  previewPlan: z.string().min(1).optional(),
  runtime: z.enum(['node', 'python', 'ruby', 'go', 'rust', 'elixir', 'docker']).default('node'),
  buildCommand: z.string().min(1).optional(),
  startCommand: z.string().min(1).optional(),
  dockerfilePath: z.string().min(1).default('./Dockerfile'),
  rootDir: z.string().min(1).optional(),
  healthCheckPath: z.string().startsWith('/').optional(),
  serviceNamePrefix: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and -, at most 20').default('vector'),
  environments: z.array(z.enum(['preview', 'production'])).min(1).default(['preview', 'production']),
  requestTimeoutMs: z.number().int().min(1).max(600_000).default(90_000),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(10).default(3),
      baseDelayMs: z.number().int().min(0).max(60_000).default(500),
      maxDelayMs: z.number().int().min(0).max(600_000).default(10_000),
    })
    .default({ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000 }),
});

/** Options after defaults and environment fallbacks. */
export type ResolvedRenderProviderOptions = z.output<typeof optionsSchema>;

/** Applies environment-variable fallbacks and defaults, then validates. */
export function resolveRenderProviderOptions(options: RenderProviderOptions, env: NodeJS.ProcessEnv = process.env): ResolvedRenderProviderOptions {
  const withEnv = {
    ...options,
    apiKey: options.apiKey ?? env.RENDER_API_KEY ?? '',
    baseUrl: options.baseUrl ?? env.RENDER_API_URL,
    ownerId: options.ownerId ?? env.RENDER_OWNER_ID,
  };
  const resolved = parseInput(optionsSchema, withEnv, 'Render provider options');
  return { ...resolved, baseUrl: resolved.baseUrl.replace(/\/+$/, '') };
}
