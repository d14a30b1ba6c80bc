import { createHash } from 'node:crypto';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8; throws on invalid UTF-8 (use {@link isBinaryContent} first). */
export function decodeText(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/**
 * Heuristic used by every backend so diffs agree: content is binary when it has a NUL byte
 * in its first 8 KiB or is not valid UTF-8 (git uses the same NUL rule).
 */
export function isBinaryContent(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return true;
  try {
    strictDecoder.decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** Lower-case hex SHA-256 of the bytes. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when both byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
