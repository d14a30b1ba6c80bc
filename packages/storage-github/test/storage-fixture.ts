import { randomBytes } from 'node:crypto';
import { encodeText, type StorageProject } from '@vector/core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createGitHubSourceMirror, createGitHubStorage, type GitHubConnectionOptions, type GitHubSourceMirror, type GitHubSourceMirrorOptions, type GitHubStorage, type GitHubStorageOptions } from '../src/index.js';
import { FakeGitHub } from './fake-github/fake-github-server.js';

/**
 * The fake GitHub API of a test file, started before its tests and closed after them. With
 * `clearEachTest`, each test starts with no logged requests, injected failures or handlers.
 */
export function useFakeGitHub(options: { clearEachTest?: boolean } = {}): FakeGitHub {
  const fake = new FakeGitHub();
  beforeAll(() => fake.start());
  afterAll(() => fake.close());
  if (options.clearEachTest) {
    beforeEach(() => {
      fake.requests.length = 0;
      fake.injections.length = 0;
      fake.beforeHandlers.length = 0;
    });
  }
  return fake;
}

/** The commit author of the tests' saves. */
export const author = { name: 'Test', email: 'test@example.com' };

/** A change writing `content` as text to `path`. */
export const write = (path: string, content: string) => ({ type: 'write' as const, path, content: encodeText(content) });

/** What `promise` rejects with, or null when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => null, (error: unknown) => error);
}

/** A project with a random id, so tests never share a repository. */
export function newProject(settings: Record<string, unknown> = {}): StorageProject {
  return { id: `p${randomBytes(5).toString('hex')}`, organizationId: 'org-1', name: 'My App', settings };
}

/** `options` for a client of the fake (token auth, owner acme), with tiny retry/throttle delays so tests stay fast. */
function connectTo<T extends GitHubConnectionOptions>(fake: FakeGitHub, options: Partial<T>) {
  return {
    auth: { token: 'test-token' },
    owner: 'acme',
    baseUrl: fake.url,
    env: {},
    ...options,
    throttle: { retryAfterBaseMs: 1, minWriteIntervalMs: 0, ...options.throttle },
    retry: { retries: 2, retryAfterBaseMs: 1, ...options.retry },
  };
}

/** A backend pointed at the fake. */
export function fakeStorage(fake: FakeGitHub, options: Partial<GitHubStorageOptions> = {}): GitHubStorage {
  return createGitHubStorage(connectTo(fake, options));
}

/** A source mirror pointed at the fake. */
export function fakeMirror(fake: FakeGitHub, options: Partial<GitHubSourceMirrorOptions> = {}): GitHubSourceMirror {
  return createGitHubSourceMirror(connectTo(fake, options));
}
