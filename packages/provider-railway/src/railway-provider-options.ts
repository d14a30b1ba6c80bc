import { parseInput } from '@vector/core';
import { z } from 'zod';

/** The real Railway public API endpoint. */
export const RAILWAY_API_URL = 'https://backboard.railway.com/graphql/v2';

const optionsSchema = z.object({
  token: z.string().min(1, 'a Railway account or workspace token is required (option token or RAILWAY_API_TOKEN)'),
  baseUrl: z.string().url().default(RAILWAY_API_URL),
  name: z.string().default('railway'),
  workspaceId: z.string().min(1).optional(),
  projectId: z.string().min(1).optional(),
  environmentName: z.string().min(1).default('production'),
  region: z.string().min(1).optional(),
  namePrefix: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and -, at most 20 characters').default('vector'),
  targetPort: z.number().int().min(1).max(65_535).optional(),
  upload: z.enum(['off', 'tarball']).default('off'),
  logPageSize: z.number().int().min(1).max(5000).default(500),
  logMaxPagesPerRead: z.number().int().min(1).max(100).default(10),
  requestTimeoutMs: z.number().int().min(1).max(600_000).default(90_000),
  retry: z
    .object({
      maxRetries: z.number().int().min(0).max(10).default(3),
      baseDelayMs: z.number().int().min(0).max(60_000).default(500),
      maxDelayMs: z.number().int().min(0).max(300_000).default(10_000),
    })
    .default({ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000 }),
});

/**
 * Settings of {@link createRailwayProvider}. Every field but `token` has a default; `token`,
 * `workspaceId` and `projectId` fall back to `RAILWAY_API_TOKEN`, `RAILWAY_WORKSPACE_ID` and
 * `RAILWAY_PROJECT_ID`.
 */
export interface RailwayProviderOptions {
  /** Account or workspace token, sent as `Authorization: Bearer`. Project tokens cannot create services. */
  token?: string;
  /** GraphQL endpoint. Default `https://backboard.railway.com/graphql/v2`. */
  baseUrl?: string;
  /** `fetch` to use (tests point it at a fake). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Registry name of the provider. Default `railway`. */
  name?: string;
  /** Workspace new Railway projects are created in. Default: the token's own workspace. */
  workspaceId?: string;
  /**
   * Put every deployment in this existing Railway project instead of one Railway project
   * per Vector project (named `<namePrefix>-<vector project id>`).
   */
  projectId?: string;
  /** Railway environment the services live in. Default `production`. */
  environmentName?: string;
  /** Deployment region of each service, e.g. `us-west2`. Default: Railway's. */
  region?: string;
  /** Prefix of the Railway projects and services Vector creates. Default `vector`. */
  namePrefix?: string;
  /** Port the generated `*.up.railway.app` domain routes to. Default: Railway detects it. */
  targetPort?: number;
  /**
   * `tarball`: a version without a GitHub commit is uploaded as a gzipped tarball of its
   * files, the way `railway up` does (`POST /project/{id}/environment/{id}/up` on backboard,
   * an endpoint of Railway's CLI that its public API docs do not list), and the provider
   * declares `sources: ['git', 'files']`. A version with a GitHub commit is still built from
   * the commit. Default `off`: git only.
   */
  upload?: 'off' | 'tarball';
  /** Log lines requested per call. Default 500. */
  logPageSize?: number;
  /**
   * Log queries per stream in one `getLogs` call when more than `logPageSize` new lines
   * arrived (Railway returns the newest lines, so older ones are fetched by moving the end
   * of the window back). Default 10.
   */
  logMaxPagesPerRead?: number;
  /** Each HTTP attempt is aborted after this many ms (a retryable `ProviderError`). Default 90000, like the Railway CLI. */
  requestTimeoutMs?: number;
  /** Bounded retry of each call on 429 / 5xx. Defaults: 3 retries, 500 ms base, 10 s cap. */
  retry?: { maxRetries?: number; baseDelayMs?: number; maxDelayMs?: number };
}

/** Options after defaults and env-var fallbacks. */
export type ResolvedRailwayProviderOptions = z.output<typeof optionsSchema> & { fetch: typeof fetch };

/** Validates the options, filling defaults and env-var fallbacks. */
export function resolveRailwayProviderOptions(options: RailwayProviderOptions, env: NodeJS.ProcessEnv = process.env): ResolvedRailwayProviderOptions {
  const { fetch: customFetch, ...rest } = options;
  const parsed = parseInput(
    optionsSchema,
    {
      ...rest,
      token: rest.token ?? env.RAILWAY_API_TOKEN,
      workspaceId: rest.workspaceId ?? env.RAILWAY_WORKSPACE_ID,
      projectId: rest.projectId ?? env.RAILWAY_PROJECT_ID,
    },
    'Railway provider options',
  );
  return { ...parsed, fetch: customFetch ?? globalThis.fetch };
}
