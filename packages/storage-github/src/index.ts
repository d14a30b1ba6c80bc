/**
 * `@vector/storage-github`: a Vector storage backend that keeps each code version as a git
 * commit on GitHub, and a source mirror that publishes versions of other storage as GitHub
 * commits, both written through the Git Data API.
 * @packageDocumentation
 */
export { createGitHubStorage, type GitHubStorage } from './create-github-storage.js';
export type { GitHubStorageOptions, RepositoryAuthorizationRequest } from './github-storage-options.js';
export type { GitHubConnectionOptions, GitHubTokenAuth, GitHubAppAuth, GitHubThrottleOptions, GitHubRetryOptions } from './github-connection-options.js';
export { createGitHubSourceMirror, type GitHubSourceMirror } from './create-github-source-mirror.js';
export type { GitHubSourceMirrorOptions } from './github-source-mirror-options.js';
export type { ImportRepositoryInput } from './import-repository.js';
export type { RepositoryLocation } from './repository-location.js';
export { defaultRepositoryName } from './repository-location.js';
export { gitBlobSha } from './git-blob-sha.js';
export { GITHUB_MAX_FILE_BYTES } from './resolve-options.js';
