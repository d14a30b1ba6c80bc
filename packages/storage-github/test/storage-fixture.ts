import { randomBytes } from 'node:crypto';
import type { StorageProject } from '@vector/core';
import { createGitHubSourceMirror, createGitHubStorage, type GitHubSourceMirror, type GitHubSourceMirrorOptions, type GitHubStorage, type GitHubStorageOptions } from '../src/index.js';
import type { FakeGitHub } from './fake-github/fake-github-server.js';

/** A project with a random id, so tests never share a repository. */
export function newProject(settings: Record<string, unknown> = {}): StorageProject {
  return { id: `p${randomBytes(5).toString('hex')}`, organizationId: 'org-1', name: 'My App', settings };
}

/** A backend pointed at the fake with tiny retry/throttle delays so tests stay fast. */
export function fakeStorage(fake: FakeGitHub, options: Partial<GitHubStorageOptions> = {}): GitHubStorage {
  return createGitHubStorage({
    auth: { token: 'test-token' },
    owner: 'acme',
    baseUrl: fake.url,
    env: {},
    ...options,
    throttle: { retryAfterBaseMs: 1, minWriteIntervalMs: 0, ...options.throttle },
    retry: { retries: 2, retryAfterBaseMs: 1, ...options.retry },
  });
}

/** A source mirror pointed at the fake, with the same tiny delays. */
export function fakeMirror(fake: FakeGitHub, options: Partial<GitHubSourceMirrorOptions> = {}): GitHubSourceMirror {
  return createGitHubSourceMirror({
    auth: { token: 'test-token' },
    owner: 'acme',
    baseUrl: fake.url,
    env: {},
    ...options,
    throttle: { retryAfterBaseMs: 1, minWriteIntervalMs: 0, ...options.throttle },
    retry: { retries: 2, retryAfterBaseMs: 1, ...options.retry },
  });
}
