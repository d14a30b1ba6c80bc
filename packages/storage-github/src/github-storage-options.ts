import type { StorageProject } from '@vector/core';
import type { GitHubConnectionOptions } from './github-connection-options.js';

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
export interface GitHubStorageOptions extends GitHubConnectionOptions {
  /** Organization or user that owns per-project repositories. Default: `GITHUB_OWNER`. */
  owner?: string;
  /** Whether `owner` is an organization (`POST /orgs/{org}/repos`) or the authenticated user (`POST /user/repos`). Default `organization`. */
  ownerType?: 'organization' | 'user';
  /** Repository name for a project. Default: a slug of the project name plus its id. */
  repositoryName?: (project: StorageProject) => string;
  /** Branch that versions are committed to. Default `main`. */
  branch?: string;
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
  /** Registry name. Default `github`. */
  name?: string;
}
