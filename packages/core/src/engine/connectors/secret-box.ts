import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { InternalError } from '../../errors/internal-error.js';
import { ValidationError } from '../../errors/validation-error.js';

/**
 * Encrypts secrets at rest with AES-256-GCM. The first key encrypts; every key decrypts (the
 * others are previous keys, kept while a rotation re-encrypts what they wrote). A sealed value
 * is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url), the key id being the first bytes of the
 * key's SHA-256, so a value names the key it needs.
 */
export interface SecretBox {
  /** False when no key is configured: nothing can be sealed. */
  readonly enabled: boolean;
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** True when `sealed` was written with a key other than the current one. */
  isStale(sealed: string): boolean;
}

/** Reads a 32-byte key given as 64 hex digits or as base64 (44 characters). */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new ValidationError({ message: 'A secrets key must be 32 bytes, given as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)' });
  return key;
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/** Builds a secret box from keys (current first). No keys: a box that refuses to seal. */
export function createSecretBox(keys: readonly string[]): SecretBox {
  const ring = keys.map((text) => {
    const key = parseSecretKey(text);
    return { id: keyId(key), key };
  });
  const current = ring[0];
  return {
    enabled: current !== undefined,
    seal(plaintext) {
      if (!current) throw new ValidationError({ message: 'Storing secrets needs a secrets key: configure `secrets.keys` (the reference server: VECTOR_SECRETS_KEY)' });
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, id, iv, tag, body] = sealed.split('.');
      const entry = ring.find((candidate) => candidate.id === id);
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new InternalError({ message: 'A stored secret is malformed' });
      if (!entry) throw new InternalError({ message: `A stored secret was sealed with key ${id}, which is not configured: add it back as a previous key` });
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new InternalError({ message: 'A stored secret failed its integrity check', cause: error });
      }
    },
    isStale(sealed) {
      return sealed.split('.')[1] !== current?.id;
    },
  };
}
