import type { Octokit } from '@octokit/rest';

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

/**
 * How to reach GitHub: credentials, API root, and the built-in client's rate-limit, retry
 * and timeout behaviour. Shared by {@link createGitHubStorage} and
 * {@link createGitHubSourceMirror}.
 */
export interface GitHubConnectionOptions {
  /** Credentials. Default: `GITHUB_TOKEN`, else `GITHUB_APP_ID` + `GITHUB_APP_PRIVATE_KEY` + `GITHUB_APP_INSTALLATION_ID`. */
  auth?: GitHubTokenAuth | GitHubAppAuth;
  /** REST API root. Default: `GITHUB_API_URL`, else `https://api.github.com`. */
  baseUrl?: string;
  /** A ready octokit client (auth, baseUrl, throttle and retry options are then ignored). */
  octokit?: Octokit;
  /** A `fetch` implementation for the built-in client. */
  fetch?: typeof fetch;
  throttle?: GitHubThrottleOptions;
  retry?: GitHubRetryOptions;
  /**
   * Deadline of each HTTP attempt, in milliseconds (each retry gets a new one); a request
   * over it fails as a retryable `ProviderError`. Default 90,000. Applies to the built-in
   * client only: an injected `octokit` keeps its own settings.
   */
  requestTimeoutMs?: number;
  /** Environment for the fallbacks above. Default `process.env`. */
  env?: Record<string, string | undefined>;
}
