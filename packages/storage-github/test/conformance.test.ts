import { storageBackendConformance } from '@vector/core/testing';
import { fakeStorage, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub();

// The real limit (99 MiB) is too large for the kit's oversize test; 1 MiB exercises the same check.
storageBackendConformance({
  name: 'github (fake GitHub API, real octokit)',
  create: async () => ({ backend: fakeStorage(fake, { maxFileBytes: 1024 * 1024 }) }),
});

storageBackendConformance({
  name: 'github with truncated recursive trees (sub-tree walks)',
  create: async () => {
    fake.maxRecursiveTreeEntries = 5;
    return {
      backend: fakeStorage(fake, { maxFileBytes: 1024 * 1024 }),
      cleanup: async () => {
        fake.maxRecursiveTreeEntries = 100_000;
      },
    };
  },
});
