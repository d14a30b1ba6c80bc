import { createHmac } from 'node:crypto';

/**
 * GitHub's `X-Hub-Signature-256` value for a delivery body: `sha256=` plus the hex
 * HMAC-SHA256 of the exact bytes sent, keyed with the webhook's secret.
 */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The legacy `X-Hub-Signature` value (HMAC-SHA1), which GitHub still sends beside the SHA-256 one. */
export function signWebhookBodySha1(secret: string, body: string): string {
  return `sha1=${createHmac('sha1', secret).update(body, 'utf8').digest('hex')}`;
}
