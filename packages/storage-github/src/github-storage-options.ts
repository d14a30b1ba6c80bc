import type { Octokit } from '@octokit/rest';
import type { StorageProject } from '@vector/core';

/** A personal access token, fine-grained token or installation token. */
export interface GitHubTokenAuth {
  token: string;
}

/** A GitHub App installation; installation tokens are minted and refreshed automatically. */
export interface GitHubAppAuth {
  appId: number | string;
  /** The App's PEM private key. */
  privateKey: string;
  installationId: number;
}

/** How aggressively rate limits are waited out before a call gives up. */
export interface GitHubThrottleOptions {
  /** Turn octokit's throttling off entirely (not recommended against github.com). Default true. */
  enabled?: boolean;
  /** Rate-limited answers (primary or secondary) retried per request before giving up. Default 2. */
  maxRetries?: number;
  /** Longest wait, in seconds, a retry may require; longer waits give up at once. Default 60. */
  maxWaitSeconds?: number;
  /** Multiplier turning GitHub's seconds into milliseconds. Default 1000; tests use 1. */
  retryAfterBaseMs?: number;
  /**
   * Minimum spacing between write requests. Default 1000 (GitHub asks for ≥1 s between
   * mutating requests; octokit's own write queue). Lower it only for GitHub Enterprise or tests.
   */
  minWriteIntervalMs?: number;
}

/** Retries of 5xx/429 answers (octokit's retry plugin). */
export interface GitHubRetryOptions {
  /** Default 3. */
  retries?: number;
  /** Delay base in milliseconds; attempt n waits n² × base. Default 1000. */
  retryAfterBaseMs?: number;
}

/** What {@link GitHubStorageOptions.authorizeRepository} is asked about. */
export interface RepositoryAuthorizationRequest {
  /** The project whose settings (or `importRepository` call) name the repository. */
  project: StorageProject;
  owner: string;
  repository: string;
  /** `settings` when the project's storage settings name it, `import` for `importRepository`'s source. */
  purpose: 'settings' | 'import';
}

/**
 * Options of {@link createGitHubStorage}. Per project, `project.settings` (the project's
 * `settings.storage`) may override `branch`, and — only with `allowProjectRepositories` —
 * `owner` and `repository`.
 */
export interface GitHubStorageOptions {
  /** Credentials. Default: `GITHUB_TOKEN`, else `GITHUB_APP_ID` + `GITHUB_APP_PRIVATE_KEY` + `GITHUB_APP_INSTALLATION_ID`. */
  auth?: GitHubTokenAuth | GitHubAppAuth;
  /** Organization or user that owns per-project repositories. Default: `GITHUB_OWNER`. */
  owner?: string;
  /** Whether `owner` is an organization (`POST /orgs/{org}/repos`) or the authenticated user (`POST /user/repos`). Default `organization`. */
  ownerType?: 'organization' | 'user';
  /** Repository name for a project. Default: a slug of the project name plus its id. */
  repositoryName?: (project: StorageProject) => string;
  /** Branch that versions are committed to. Default `main`. */
  branch?: string;
  /** REST API root. Default: `GITHUB_API_URL`, else `https://api.github.com`. */
  baseUrl?: string;
  /** A ready octokit client (auth, baseUrl, throttle and retry options are then ignored). */
  octokit?: Octokit;
  /** A `fetch` implementation for the built-in client. */
  fetch?: typeof fetch;
  /** Create missing repositories in `createProject`. Default true. */
  createRepositories?: boolean;
  /** Create repositories as private. Default true. */
  private?: boolean;
  /**
   * Delete the repository in `deleteProject`. Default true, and only ever for repositories
   * named by this backend: a repository set in project settings is never deleted.
   */
  deleteRepositories?: boolean;
  /** Largest file accepted, in bytes. Default and maximum: 100 MiB minus 1 MiB of request overhead. */
  maxFileBytes?: number;
  /** Parallel blob uploads/downloads per call. Default 4. */
  concurrency?: number;
  throttle?: GitHubThrottleOptions;
  retry?: GitHubRetryOptions;
  /**
   * Let projects name their own repository (`settings.storage.owner` / `repository`) and
   * `importRepository` read any repository. Default `false`: the credentials usually reach
   * every tenant's repositories, so a project may then only use the repository this backend
   * names for it (`owner` + `repositoryName`), and anything else is a `ForbiddenError`.
   */
  allowProjectRepositories?: boolean;
  /**
   * With `allowProjectRepositories`, decides whether a project may use (or import from) a
   * repository, e.g. by checking that the repository belongs to the project's organization.
   * Called before every operation on such a repository; `false` is a `ForbiddenError`.
   * Default: every repository the credentials reach is allowed.
   */
  authorizeRepository?: (request: RepositoryAuthorizationRequest) => boolean | Promise<boolean>;
  /**
   * Deadline of each HTTP attempt, in milliseconds (each retry gets a new one); a request
   * over it fails as a retryable `ProviderError`. Default 90,000. Applies to the built-in
   * client only: an injected `octokit` keeps its own settings.
   */
  requestTimeoutMs?: number;
  /** Registry name. Default `github`. */
  name?: string;
  /** Environment for the fallbacks above. Default `process.env`. */
  env?: Record<string, string | undefined>;
}
