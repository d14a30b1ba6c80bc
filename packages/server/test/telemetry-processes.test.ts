import { describe, expect, it } from 'vitest';
import { callCli, startCli, useCliProcesses, useProcessSchema } from './cli-process.js';
import { type CollectedSpan, startOtlpCollector } from './otlp-collector.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
// The built CLI, as cli.test.ts runs it.
const { running, scratchDirectory } = useCliProcesses('vector-otel-');
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN_ID = 'b7ad6b7169203331';
const METRICS_TOKEN = 'scrape-token-for-the-api-process';
const api = callCli;

describe.skipIf(!databaseUrl)('traces and metrics across separate api and worker processes on PostgreSQL', () => {
  const schema = useProcessSchema('vo', databaseUrl, running);

  it('continues the request’s trace on the worker, exported over OTLP by each process, and counts the job where it ran', async () => {
    const collector = await startOtlpCollector();
    try {
      const shared = {
        DATABASE_URL: databaseUrl as string,
        DATABASE_SCHEMA: schema,
        LOG_LEVEL: 'info',
        VECTOR_LOCAL_BUILDS: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      };
      const apiProcess = startCli({ cwd: scratchDirectory(), env: { ...shared, VECTOR_ROLE: 'api', PORT: '0', HOST: '127.0.0.1', OTEL_SERVICE_NAME: 'vector-api', VECTOR_METRICS_TOKEN: METRICS_TOKEN } });
      running.push(apiProcess);
      const [, base] = await apiProcess.waitFor(/Vector API on (http:\/\/127\.0\.0\.1:\d+).*role: api/);
      const workerProcess = startCli({ cwd: scratchDirectory(), env: { ...shared, VECTOR_ROLE: 'worker', OTEL_SERVICE_NAME: 'vector-worker', VECTOR_METRICS_PORT: '0' } });
      running.push(workerProcess);
      const [, workerMetrics] = await workerProcess.waitFor(/Prometheus metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
      await workerProcess.waitFor(/Vector worker started/);
      const url = base as string;

      const key = (await api(url, 'POST', '/v1/organizations', { body: { name: 'Traced processes' } })).json.apiKey.key as string;
      const project = (await api(url, 'POST', '/v1/projects', { key, body: { name: 'p' } })).json;
      const session = (await api(url, 'POST', `/v1/projects/${project.id}/sessions`, { key, body: {} })).json;
      const posted = await api(url, 'POST', `/v1/sessions/${session.id}/messages`, { key, body: { content: 'traced across processes' }, headers: { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01` } });
      expect(posted.status).toBe(202);
      const jobId = posted.json.job.id as string;
      let job = posted.json.job;
      for (let waited = 0; waited < 20_000 && job.status !== 'complete' && job.status !== 'failed'; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        job = (await api(url, 'GET', `/v1/jobs/${jobId}`, { key })).json;
      }
      expect(job.status).toBe('complete');
      expect(workerProcess.output.join('\n')).toContain(`worker took job ${jobId}`);

      // Each process exports its own spans; the worker's job run joins the api request's trace.
      const find = (predicate: (span: CollectedSpan) => boolean) => collector.spans.find(predicate);
      for (let waited = 0; waited < 10_000 && !find((span) => span.service === 'vector-worker' && span.name === 'vector.version.write'); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const request = find((span) => span.service === 'vector-api' && span.name === 'POST /v1/sessions/:sessionId/messages');
      expect(request, JSON.stringify(collector.spans.map((span) => [span.service, span.name]))).toBeDefined();
      expect([request?.traceId, request?.parentSpanId, request?.kind]).toEqual([TRACE_ID, CLIENT_SPAN_ID, 2]); // SERVER
      const run = find((span) => span.service === 'vector-worker' && span.name === 'vector.job.run');
      expect(run?.traceId).toBe(TRACE_ID);
      expect(run?.attributes['vector.job.id']).toBe(jobId);
      // Its parent is a span of the api process's request (the handler's, inside the request span).
      const apiSpanIds = new Set(collector.spans.filter((span) => span.service === 'vector-api' && span.traceId === TRACE_ID).map((span) => span.spanId));
      expect(apiSpanIds.has(run?.parentSpanId ?? '')).toBe(true);
      const write = find((span) => span.service === 'vector-worker' && span.name === 'vector.version.write');
      expect([write?.traceId, write?.parentSpanId]).toEqual([TRACE_ID, run?.spanId]);
      // No span of the api process is the job's: the worker ran it.
      expect(find((span) => span.service === 'vector-api' && span.name === 'vector.job.run')).toBeUndefined();

      // Metrics: the worker counted the job it ran (on its own listener); the api process, none.
      const workerText = await (await fetch(workerMetrics as string)).text();
      expect(workerText).toMatch(/^vector_jobs_completed_total\{[^}]*vector_agent_type="scripted"[^}]*\} 1$/m);
      const refused = await fetch(`${url}/metrics`);
      expect(refused.status).toBe(401);
      const apiText = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      expect(apiText).toMatch(/^http_server_request_duration_count\{[^}]*http_route="\/v1\/sessions\/:sessionId\/messages"[^}]*\} 1$/m);
      expect(apiText).not.toMatch(/^vector_jobs_completed_total/m);

      expect(await apiProcess.stop()).toEqual({ code: 0, signal: null });
      expect(await workerProcess.stop()).toEqual({ code: 0, signal: null });
    } finally {
      await collector.close();
    }
  });
});
