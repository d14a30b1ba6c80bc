import { describe, expect, it } from 'vitest';
import { CancelledError } from '../errors/cancelled-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { abortableDelay } from './abortable-delay.js';
import { redactSecretValues } from './redact-secret-values.js';

describe('plugin helpers', () => {
  it('abortableDelay resolves after the delay and rejects with CancelledError on abort', async () => {
    await expect(abortableDelay(1)).resolves.toBeUndefined();
    const controller = new AbortController();
    const waiting = abortableDelay(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    await expect(abortableDelay(1, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('redactSecretValues masks secrets in messages and details, keeping retry hints', () => {
    const leaky = new ProviderError({ provider: 'render', message: 'bad value hunter2-secret for KEY', status: 429, retryAfterMs: 5000 });
    const clean = redactSecretValues(leaky, { provider: 'render', secrets: ['hunter2-secret', 'ab'] }) as ProviderError;
    expect(clean.message).toBe('bad value [redacted] for KEY');
    expect(clean).toMatchObject({ status: 429, retryAfterMs: 5000, isRetryable: true });
    expect(clean.cause).toBeUndefined();
    const unrelated = new Error('nothing to hide');
    expect(redactSecretValues(unrelated, { provider: 'render', secrets: ['hunter2-secret'] })).toBe(unrelated);
  });
});
