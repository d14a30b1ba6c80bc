import { describe, expect, it } from 'vitest';
import { CancelledError } from '../errors/cancelled-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { errorMessage } from './error-message.js';
import { fetchWithRetry } from './fetch-with-retry.js';
import { retryAfterMs } from './retry-after-ms.js';
import { isSettledDeploymentStatus, isTerminalJobStatus } from './settled-statuses.js';
import { untilAborted } from './until-aborted.js';

const retry = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 50 };

/** A fetch answering from `answers` in turn, counting calls. */
function scripted(answers: Array<() => Response | Promise<Response>>) {
  let calls = 0;
  const fetch: typeof globalThis.fetch = async () => {
    const next = answers[Math.min(calls, answers.length - 1)]!;
    calls += 1;
    return next();
  };
  return { fetch, calls: () => calls };
}

const call = { url: 'http://fake.test/x', timeoutMs: 1000, retry, name: 'Fake GET /x', provider: 'fake' };

describe('fetchWithRetry', () => {
  it('repeats 429 and 5xx, then returns the answer with its body', async () => {
    const fake = scripted([() => new Response('', { status: 429, headers: { 'retry-after': '0' } }), () => new Response('oops', { status: 502 }), () => new Response('{"ok":true}')]);
    const answer = await fetchWithRetry({ ...call, fetch: fake.fetch });
    expect(answer).toMatchObject({ status: 200, ok: true, text: '{"ok":true}', attempts: 3 });
  });

  it('repeats only a 429 when the call is not idempotent, and returns the last answer', async () => {
    const fake = scripted([() => new Response('', { status: 429 }), () => new Response('down', { status: 503 })]);
    const answer = await fetchWithRetry({ ...call, fetch: fake.fetch, idempotent: false });
    expect(answer).toMatchObject({ status: 503, text: 'down', attempts: 2 });
  });

  it('hands back a Retry-After longer than maxDelayMs instead of waiting it out', async () => {
    const fake = scripted([() => new Response('', { status: 429, headers: { 'retry-after': '60' } })]);
    const answer = await fetchWithRetry({ ...call, fetch: fake.fetch });
    expect(answer).toMatchObject({ status: 429, retryAfterMs: 60_000, attempts: 1 });
  });

  it('turns a silent server into a retryable timeout ProviderError', async () => {
    const silent: typeof fetch = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const failure = await fetchWithRetry({ ...call, fetch: silent, timeoutMs: 20, retry: { ...retry, maxRetries: 1 } }).catch((error: unknown) => error);
    expect(ProviderError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ isRetryable: true, details: { reason: 'timeout' } });
  });

  it('rejects with CancelledError when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    const fake = scripted([() => Promise.reject(new Error('aborted'))]);
    await expect(fetchWithRetry({ ...call, fetch: fake.fetch, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('retryAfterMs', () => {
  it('reads Retry-After (largest when repeated), then the named reset headers', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2, 5' }))).toBe(5000);
    expect(retryAfterMs({ 'x-ratelimit-reset': 1_700_000_010 }, { now: 1_700_000_000_000, resetHeaders: ['x-ratelimit-reset'] })).toBe(10_000);
    expect(retryAfterMs(new Headers({ 'ratelimit-reset': '3' }), { resetHeaders: ['ratelimit-reset'] })).toBe(3000);
    expect(retryAfterMs(new Headers({ 'ratelimit-reset': '3' }))).toBeUndefined();
  });
});

describe('small shared helpers', () => {
  it('untilAborted rejects with CancelledError on abort and passes the value through otherwise', async () => {
    await expect(untilAborted(Promise.resolve(1), undefined)).resolves.toBe(1);
    const controller = new AbortController();
    const waiting = untilAborted(new Promise(() => {}), controller.signal, 'stopped');
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED', message: 'stopped' });
  });

  it('errorMessage, and the settled and terminal statuses', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(42)).toBe('42');
    expect(['live', 'failed', 'destroyed'].every(isSettledDeploymentStatus)).toBe(true);
    expect(isSettledDeploymentStatus('building')).toBe(false);
    expect(isTerminalJobStatus('cancelled') && !isTerminalJobStatus('running')).toBe(true);
  });
});
