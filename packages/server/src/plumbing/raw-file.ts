import { contentTypeFor, isBinaryContent, type SourceFile } from '@vector/core';
import type { FastifyReply } from 'fastify';
import Negotiator from 'negotiator';

/** Whether `?raw=` asked for the bytes (`1`, `true`), for the JSON wrapper (`0`, `false`), or left it to `Accept`. */
export type RawQuery = '1' | 'true' | '0' | 'false' | undefined;

/**
 * The media type a version's file is served with as raw bytes: from its extension (core's
 * `contentTypeFor`), `text/plain` for text with an unknown extension, and `charset=utf-8` on
 * every textual type (SVG and other `+xml`/`+json` types included).
 */
export function rawContentType(file: SourceFile): string {
  const byExtension = contentTypeFor(file.path);
  if (byExtension === 'application/octet-stream') return isBinaryContent(file.content) ? byExtension : 'text/plain; charset=utf-8';
  const mediaType = mediaTypeOf(byExtension);
  const textual = mediaType.startsWith('text/') || /\+(xml|json)$/.test(mediaType);
  return textual && !/;\s*charset=/i.test(byExtension) ? `${mediaType}; charset=utf-8` : byExtension;
}

/**
 * Whether a request for one file wants its raw bytes rather than the JSON wrapper: `?raw=1`
 * (or `true`) says yes and `?raw=0` (or `false`) no; otherwise `Accept` decides. JSON stays the
 * answer without `Accept`, for an `Accept` of any type, and whenever JSON ranks at least as high
 * as the file's own type or `application/octet-stream`; an `Accept` that ranks one of those
 * higher, or accepts no JSON at all, gets the bytes.
 */
export function prefersRawFile(options: { raw: RawQuery; accept: string | undefined; contentType: string }): boolean {
  if (options.raw !== undefined) return options.raw === '1' || options.raw === 'true';
  const accept = options.accept?.trim();
  if (!accept) return false;
  const json = 'application/json';
  const available = [...new Set([json, mediaTypeOf(options.contentType), 'application/octet-stream'])];
  const preferred = new Negotiator({ headers: { accept } }).mediaType(available);
  return preferred !== json;
}

/**
 * Documents that a browser would run (HTML, XHTML, SVG, XML): answered as downloads as well as
 * sandboxed, so a stored file never renders as a page on the API's origin.
 */
function isActiveDocument(mediaType: string): boolean {
  return mediaType === 'text/html' || mediaType === 'text/xml' || mediaType === 'application/xml' || mediaType.endsWith('+xml');
}

/**
 * Sends a file's exact bytes with its {@link rawContentType} and headers that keep it inert on
 * the API's origin: `X-Content-Type-Options: nosniff`, `Content-Security-Policy: default-src
 * 'none'; sandbox` (no script, no subresources, an opaque origin, should a browser render it),
 * and for active documents ({@link isActiveDocument}) `Content-Disposition: attachment`.
 */
export function sendRawFile(reply: FastifyReply, file: SourceFile, contentType: string): FastifyReply {
  const mediaType = mediaTypeOf(contentType);
  void reply
    .type(contentType)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox");
  if (isActiveDocument(mediaType)) void reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeFilename(file.path)}`);
  return reply.send(Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength));
}

function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? contentType).trim().toLowerCase();
}

/** The file's name (its last path segment), percent-encoded as RFC 8187 `filename*` wants. */
function encodeFilename(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return encodeURIComponent(name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}
