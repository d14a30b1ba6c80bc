import { describe, expect, it } from 'vitest';
import { CancelledError } from '../errors/cancelled-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { abortableDelay } from './abortable-delay.js';
import { redactSecretValues } from './redact-secret-values.js';
import { createLogBuffer } from './create-log-buffer.js';
import { createSemaphore } from './create-semaphore.js';
import { maskSecrets } from './mask-secrets.js';

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

describe('createLogBuffer', () => {
  it('pages by cursor, counts dropped entries, restarts a foreign cursor, and rejects a malformed one', () => {
    const buffer = createLogBuffer({ maxEntries: 3 });
    const first = buffer.page(null);
    expect(first.entries).toEqual([]);
    for (let index = 0; index < 5; index += 1) buffer.append({ level: 'info', source: 'build', message: `line ${index}` });
    const all = buffer.page(null);
    expect(all.entries.map((entry) => entry.message)).toEqual(['line 2', 'line 3', 'line 4']);
    expect(buffer.page(first.cursor).entries).toHaveLength(3);
    buffer.append({ level: 'warn', source: 'runtime', message: 'line 5' });
    expect(buffer.page(all.cursor).entries.map((entry) => entry.message)).toEqual(['line 5']);
    // A cursor made by another process (before a restart) starts over.
    expect(buffer.page('00000000:999').entries.map((entry) => entry.message)).toEqual(['line 3', 'line 4', 'line 5']);
    expect(() => buffer.page('nonsense')).toThrow(/Invalid log cursor/);
  });
});

describe('maskSecrets', () => {
  it('masks every secret of 4 characters or more', () => {
    expect(maskSecrets('token=abcd1234 pin=12 again abcd1234', ['abcd1234', '12'])).toBe('token=[redacted] pin=12 again [redacted]');
  });
});

describe('createSemaphore', () => {
  it('runs at most limit tasks at once, in arrival order', async () => {
    const semaphore = createSemaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        semaphore.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          order.push(index);
          await new Promise((resolve) => setTimeout(resolve, 10));
          active -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
