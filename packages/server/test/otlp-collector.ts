import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as an OTLP/HTTP JSON export carries it, with its resource's `service.name`. */
export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
const valueOf = (value: AnyValue | undefined): unknown =>
  value === undefined
    ? undefined
    : (value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.doubleValue ?? value.boolValue ?? value.arrayValue?.values?.map(valueOf));
const attributesOf = (list: Array<{ key: string; value: AnyValue }> | undefined) => Object.fromEntries((list ?? []).map((entry) => [entry.key, valueOf(entry.value)]));

/**
 * A stand-in for an OpenTelemetry Collector's OTLP/HTTP receiver, over real HTTP on
 * 127.0.0.1: `POST /v1/traces` with an `ExportTraceServiceRequest` in OTLP's JSON encoding
 * (ids as hex strings, as the JSON mapping defines), optionally gzip-encoded. Like the
 * receiver, it answers 415 to other content types, 404 to other paths, 400 to a body that is
 * not an export request, and 200 `{}` (an `ExportTraceServiceResponse`) when it took the spans.
 */
export async function startOtlpCollector(): Promise<{ url: string; spans: CollectedSpan[]; close(): Promise<void> }> {
  const spans: CollectedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (request.method !== 'POST' || request.url !== '/v1/traces') return answer(404, { code: 5, message: 'not found' });
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return answer(415, { code: 3, message: 'unsupported content type' });
      try {
        const raw = Buffer.concat(chunks);
        const body = JSON.parse((request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as {
          resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: AnyValue }> }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>;
        };
        if (!Array.isArray(body.resourceSpans)) return answer(400, { code: 3, message: 'resourceSpans missing' });
        for (const resource of body.resourceSpans) {
          const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
          for (const scope of resource.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              if (typeof span.traceId !== 'string' || !/^[0-9a-f]{32}$/.test(span.traceId) || typeof span.spanId !== 'string' || !/^[0-9a-f]{16}$/.test(span.spanId)) {
                return answer(400, { code: 3, message: 'trace and span ids must be hex strings' });
              }
              spans.push({
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: typeof span.parentSpanId === 'string' ? span.parentSpanId : '',
                name: String(span.name),
                kind: Number(span.kind ?? 0),
                attributes: attributesOf(span.attributes as Array<{ key: string; value: AnyValue }> | undefined),
              });
            }
          }
        }
        answer(200, {});
      } catch {
        answer(400, { code: 3, message: 'unreadable body' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
