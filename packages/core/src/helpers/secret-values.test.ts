import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, parseSecretKey } from '../engine/connectors/secret-box.js';
import { ProviderError } from '../errors/provider-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { maskSecrets } from './mask-secrets.js';
import { redactSecretValues } from './redact-secret-values.js';

describe('secrets keys', () => {
  const bytes = randomBytes(32);
  it('reads 64 hex digits as hex and anything else as base64, trimmed, and refuses what is not 32 bytes', () => {
    expect(parseSecretKey(bytes.toString('hex'))).toEqual(bytes);
    expect(parseSecretKey(` ${bytes.toString('hex').toUpperCase()}\n`)).toEqual(bytes);
    expect(parseSecretKey(bytes.toString('base64'))).toEqual(bytes);
    expect(parseSecretKey(`  ${bytes.toString('base64')}  `)).toEqual(bytes);
    // 64 hex digits with more around them is no hex key (nor, decoded as base64, 32 bytes).
    for (const text of [`${bytes.toString('hex')}00`, `${bytes.toString('hex')}==`, `x${bytes.toString('hex')}`, `0${bytes.toString('hex')}`, bytes.toString('hex').slice(0, 62), randomBytes(31).toString('base64'), '']) {
      expect(() => parseSecretKey(text), text).toThrow(ValidationError);
    }
    // 64 characters that are hex digits decode as hex, never as base64 (which would give 48 bytes and be refused).
    expect(parseSecretKey('a'.repeat(64))).toEqual(Buffer.alloc(32, 0xaa));
  });

  it('names each sealed value by its key: 8 characters of the key’s SHA-256, base64url', () => {
    const key = bytes.toString('base64');
    const sealed = createSecretBox([key]).seal('secret');
    const [version, id, iv, tag, body] = sealed.split('.');
    expect(version).toBe('v1');
    expect(id).toBe(createHash('sha256').update(bytes).digest('base64url').slice(0, 8));
    expect([iv, tag, body].every((part) => /^[A-Za-z0-9_-]+$/.test(part ?? ''))).toBe(true);
    // An older key stays readable; a value whose key is gone says which key it needs.
    const other = randomBytes(32).toString('base64');
    const rotated = createSecretBox([other, key]);
    expect(rotated.open(sealed)).toBe('secret');
    expect(rotated.isStale(sealed)).toBe(true);
    expect(rotated.isStale(rotated.seal('x'))).toBe(false);
    expect(() => createSecretBox([other]).open(sealed)).toThrow(new RegExp(`sealed with key ${id}, which is not configured`));
    // Malformed values are refused as such, whatever part is missing.
    for (const broken of ['v2.' + sealed.slice(3), sealed.split('.').slice(0, 4).join('.'), `${version}.${id}..${tag}.${body}`, `${version}.${id}.${iv}..${body}`]) {
      expect(() => createSecretBox([key]).open(broken), broken).toThrow(/malformed/);
    }
    // Without a key nothing is sealed, and the refusal says what to configure.
    const keyless = createSecretBox([]);
    expect(keyless.enabled).toBe(false);
    expect(() => keyless.seal('secret')).toThrow(/secrets\.keys/);
    // An empty plaintext seals to an empty body, and opens again.
    expect(createSecretBox([key]).open(createSecretBox([key]).seal(''))).toBe('');
  });
});

describe('masking secret values in text', () => {
  it('masks values of 4 characters or more, every time they appear, and leaves shorter ones', () => {
    expect(maskSecrets('token abcd and abcd again', ['abcd'])).toBe('token [redacted] and [redacted] again');
    expect(maskSecrets('abc is a word', ['abc'])).toBe('abc is a word');
    expect(maskSecrets('nothing here', [])).toBe('nothing here');
  });
});

describe('redacting secret values from provider errors', () => {
  const secrets = ['s3cr3t-value', 'abc'];
  it('returns an error that leaks nothing unchanged, and one that leaks anything as a ProviderError without the value', () => {
    const clean = new Error('the build failed');
    expect(redactSecretValues(clean, { provider: 'railway', secrets })).toBe(clean);
    // A short value (under 4 characters) is not a secret to look for: ordinary words contain it.
    const short = new Error('abc is fine');
    expect(redactSecretValues(short, { provider: 'railway', secrets })).toBe(short);
    // Four characters is long enough.
    expect((redactSecretValues(new Error('key abcd'), { provider: 'railway', secrets: ['abcd'] }) as Error).message).toBe('key [redacted]');
    const leaking = redactSecretValues(new Error('bad value s3cr3t-value for s3cr3t-value'), { provider: 'railway', secrets });
    expect(ProviderError.isInstance(leaking)).toBe(true);
    expect((leaking as ProviderError).message).toBe('bad value [redacted] for [redacted]');
    expect((leaking as ProviderError).provider).toBe('railway');
    expect((leaking as ProviderError).isRetryable).toBe(false);
  });

  it('looks in the details too, keeps status and retry hints, and redacts when any one value leaks', () => {
    const original = new ProviderError({ provider: 'render', message: 'refused s3cr3t-value', status: 429, isRetryable: true, retryAfterMs: 1500 });
    const redacted = redactSecretValues(original, { provider: 'other', secrets: ['unused-value', 's3cr3t-value'] }) as ProviderError;
    expect(redacted).not.toBe(original);
    expect([redacted.message, redacted.provider, redacted.status, redacted.isRetryable, redacted.retryAfterMs]).toEqual(['refused [redacted]', 'render', 429, true, 1500]);
    const inDetails = new ProviderError({ provider: 'render', message: 'refused', details: { echoed: 's3cr3t-value' } });
    expect(redactSecretValues(inDetails, { provider: 'render', secrets })).not.toBe(inDetails);
    // Not an error, or no secrets: as it was.
    expect(redactSecretValues('s3cr3t-value', { provider: 'x', secrets })).toBe('s3cr3t-value');
    const any = new Error('s3cr3t-value');
    expect(redactSecretValues(any, { provider: 'x', secrets: [] })).toBe(any);
  });
});
