import { createMemoryStorage } from '@vector/core/testing';
import { defineStorageBackend, type StorageBackend } from '@vector/core';

/**
 * Core's memory storage, presented as if each ref were a commit on GitHub, so the engine hands
 * the Render provider a Git source (Render builds only from Git). The "commit" is the first
 * 40 hex characters of the memory storage's content hash.
 */
export function createGitMemoryStorage(repositoryUrl = 'https://github.com/acme/shop'): StorageBackend {
  const memory = createMemoryStorage();
  const [owner = 'acme', repository = 'shop'] = new URL(repositoryUrl).pathname.split('/').filter(Boolean);
  return defineStorageBackend({
    ...memory,
    name: 'git-memory',
    capabilities: { ...memory.capabilities, gitSource: true },
    describeGitSource: async ({ ref }) => ({ repositoryUrl, owner, repository, branch: 'main', commitSha: ref.replace(/[^0-9a-f]/g, '').slice(0, 40).padEnd(40, '0') }),
  });
}
