import type { SourceMirrorProject } from '@vector/core';
import type { GitHubConnectionOptions } from './github-connection-options.js';

/**
 * Options of {@link createGitHubSourceMirror}. Repository and branch names must not depend
 * on anything that changes (such as the project's name): a version is published once, and
 * later versions should land beside it.
 */
export interface GitHubSourceMirrorOptions extends GitHubConnectionOptions {
  /** Organization or user owning the mirror repositories. Default: `GITHUB_MIRROR_OWNER`, else `GITHUB_OWNER`. */
  owner?: string;
  /** Whether `owner` is an organization (`POST /orgs/{org}/repos`) or the authenticated user (`POST /user/repos`). Default `organization`. */
  ownerType?: 'organization' | 'user';
  /**
   * What one mirror repository holds. `project` (default): one repository per project, its
   * versions on `branch`. `organization`: one repository per Vector organization, each
   * project's versions on its own branch `<branchPrefix><project id>`.
   */
  scope?: 'project' | 'organization';
  /**
   * The repository's name: one name for every project (only with `scope: 'organization'`;
   * organizations then share it, each project on its own branch), or a name per project.
   * Default: `vector-<project id>` (scope `project`) or `vector-<organization id>` (scope
   * `organization`), lower-cased.
   */
  repository?: string | ((project: SourceMirrorProject) => string);
  /** The branch of a per-project repository (scope `project`). Default `main`. */
  branch?: string;
  /** Prefix of each project's branch in an organization's repository (scope `organization`). Default `vector/`. */
  branchPrefix?: string;
  /** Author and committer of the mirrored commits. Default `Vector <mirror@vector.invalid>`. */
  author?: { name: string; email: string };
  /** Parallel blob uploads per publish. Default 4. */
  concurrency?: number;
  /** Registry name, stored with each published version. Default `github`. */
  name?: string;
}
