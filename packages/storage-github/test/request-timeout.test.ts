import { encodeText, ProviderError } from '@vector/core';
import { expect, it } from 'vitest';
import { author, fakeStorage, newProject, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub();

it('gives up on a stalled request with a retryable ProviderError, and retries it with a fresh deadline', async () => {
  const storage = fakeStorage(fake, { requestTimeoutMs: 300, retry: { retries: 1, retryAfterBaseMs: 1 } });
  const project = newProject();
  await storage.createProject?.({ project });
  const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [{ type: 'write', path: 'a.txt', content: encodeText('a') }], message: 'v1', author });
  const isCommitRead = (method: string, path: string) => method === 'GET' && path.endsWith(`/git/commits/${ref}`);

  // One stalled attempt: the retry succeeds.
  fake.stall({ match: isCommitRead });
  expect((await storage.listFiles({ project, ref })).map((file) => file.path)).toEqual(['a.txt']);

  // Every attempt stalls: the call fails instead of hanging.
  fake.stall({ match: isCommitRead, count: 2 });
  const error = await storage.listFiles({ project, ref }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).isRetryable).toBe(true);
});
