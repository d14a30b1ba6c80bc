import { type Counter, type Histogram, type Meter, ValueType } from '@opentelemetry/api';

/**
 * The engine's OpenTelemetry metrics (names, units and attributes are listed in
 * `docs/observability.md` and are stable). Every process records what it did itself, so a
 * deployment's totals are the sum over its processes. Attributes are low-cardinality by
 * design: agent types, models, statuses, providers and error codes, never ids.
 */
export interface EngineMetrics {
  /** A job attempt started on this process, `waitedMs` after the job was posted (first attempts only). */
  jobStarted(input: { agentType: string; attempt: number; waitedMs: number | null }): void;
  /** A job ended here in a final state, `durationMs` after it first started. */
  jobEnded(input: { agentType: string; status: 'complete' | 'failed' | 'cancelled'; errorCode: string | null; durationMs: number | null }): void;
  /** A model call a job reported: tokens and (when priced) cost. */
  modelCall(input: { model: string; inputTokens: number; outputTokens: number; costUsd: number | null }): void;
  /** A deployment reached `status` (recorded by the process that changed it). */
  deploymentStatus(input: { provider: string; environment: string; status: string; buildMs: number | null }): void;
}

/** Duration buckets in seconds: 5 ms to 30 minutes (builds and agent jobs run for minutes). */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Token-count buckets of the GenAI semantic conventions' `gen_ai.client.token.usage`. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** The engine's instruments, on `meter` (a no-op meter records nothing and costs next to nothing). */
export function createEngineMetrics(meter: Meter): EngineMetrics {
  const counter = (name: string, description: string, unit: string): Counter => meter.createCounter(name, { description, unit, valueType: ValueType.INT });
  const seconds = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
  const started = counter('vector.jobs.started', 'Agent job attempts started', '{job}');
  const completed = counter('vector.jobs.completed', 'Agent jobs completed', '{job}');
  const failed = counter('vector.jobs.failed', 'Agent jobs failed', '{job}');
  const cancelled = counter('vector.jobs.cancelled', 'Agent jobs cancelled', '{job}');
  const queueWait = seconds('vector.job.queue_wait', 'Time from posting a message to its job starting');
  const duration = seconds('vector.job.duration', 'Time from a job first starting to its final state');
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Tokens used per model call',
    unit: '{token}',
    valueType: ValueType.INT,
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  const cost = meter.createCounter('vector.model.cost', { description: 'Cost of model calls, from the engine’s price table', unit: 'USD', valueType: ValueType.DOUBLE });
  const deployments = counter('vector.deployments', 'Deployments reaching a status', '{deployment}');
  const buildDuration = seconds('vector.deployment.build.duration', 'Time from creating a deployment to it being live or failed');
  return {
    jobStarted({ agentType, waitedMs }) {
      started.add(1, { 'vector.agent.type': agentType });
      if (waitedMs !== null) queueWait.record(Math.max(0, waitedMs) / 1000, { 'vector.agent.type': agentType });
    },
    jobEnded({ agentType, status, errorCode, durationMs }) {
      const attributes = { 'vector.agent.type': agentType };
      if (status === 'complete') completed.add(1, attributes);
      else if (status === 'cancelled') cancelled.add(1, attributes);
      else failed.add(1, { ...attributes, 'error.type': errorCode ?? 'INTERNAL' });
      if (durationMs !== null) duration.record(Math.max(0, durationMs) / 1000, { ...attributes, 'vector.job.status': status });
    },
    modelCall({ model, inputTokens, outputTokens, costUsd }) {
      const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model };
      tokens.record(inputTokens, { ...attributes, 'gen_ai.token.type': 'input' });
      tokens.record(outputTokens, { ...attributes, 'gen_ai.token.type': 'output' });
      if (costUsd !== null) cost.add(costUsd, attributes);
    },
    deploymentStatus({ provider, environment, status, buildMs }) {
      const attributes = { 'vector.deployment.provider': provider, 'vector.deployment.environment': environment };
      deployments.add(1, { ...attributes, 'vector.deployment.status': status });
      if (buildMs !== null) buildDuration.record(Math.max(0, buildMs) / 1000, { ...attributes, 'vector.deployment.status': status });
    },
  };
}
