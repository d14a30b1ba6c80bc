import { describe, expect, it } from 'vitest';
import { ConflictError } from './conflict-error.js';
import { NotFoundError } from './not-found-error.js';
import { ProviderError } from './provider-error.js';
import { VectorError } from './vector-error.js';

describe('VectorError', () => {
  it('recognises errors by class across copies of the package, by marker and code', () => {
    const conflict = new ConflictError({ message: 'moved' });
    // What a second copy of @vector/core would produce: same marker, no shared prototype.
    const foreign = Object.assign(Object.create(null), { code: 'NOT_FOUND', message: 'x', [Symbol.for('vector.error')]: true });
    expect(VectorError.isInstance(conflict)).toBe(true);
    expect(ConflictError.isInstance(conflict)).toBe(true);
    expect(NotFoundError.isInstance(conflict)).toBe(false);
    expect(NotFoundError.isInstance(foreign)).toBe(true);
    expect(VectorError.isInstance(new Error('plain'))).toBe(false);
    expect(ConflictError.isInstance(null)).toBe(false);
  });

  it('keeps the cause, a JSON view and retryability', () => {
    const cause = new Error('socket hang up');
    const error = new ProviderError({ provider: 'render', message: 'Render is down', status: 503, cause, retryAfterMs: 1000 });
    expect(error.cause).toBe(cause);
    expect(error.isRetryable).toBe(true);
    expect(error.toJSON()).toEqual({ code: 'PROVIDER_ERROR', message: 'Render is down', details: { provider: 'render', status: 503 } });
    expect(new ProviderError({ provider: 'render', message: 'bad', status: 400 }).isRetryable).toBe(false);
    expect(error.name).toBe('ProviderError');
  });
});
