import { type Attributes, type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { StepToRecord } from '../jobs/job-store.js';
import type { EngineTelemetry } from './engine-telemetry.js';

/**
 * Records an agent step as a finished child span of the job's span. Agents report a step once
 * it is over, so the span starts `durationMs` before `endTime` and ends at once.
 *
 * Model calls are named `chat <model>` with the GenAI semantic conventions' attributes
 * (`gen_ai.operation.name`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`,
 * `gen_ai.usage.output_tokens`) plus `vector.cost_usd`; tool calls are `vector.tool <name>`.
 * `prompt` (the job's user message) is recorded only when the engine's `recordPrompts` is on.
 */
export function recordStepSpan(telemetry: EngineTelemetry, input: { step: StepToRecord; parent: Context; endTime: number; prompt: string | null }): void {
  const { step } = input;
  const attributes: Attributes = { 'vector.step.kind': step.kind, 'vector.step.status': step.status };
  let name: string;
  if (step.kind === 'model') {
    const model = step.model ?? 'unknown';
    name = `chat ${model}`;
    Object.assign(attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': step.usage.promptTokens,
      'gen_ai.usage.output_tokens': step.usage.completionTokens,
    });
    if (step.usage.cachedTokens > 0) attributes['gen_ai.usage.cache_read.input_tokens'] = step.usage.cachedTokens;
    if (step.costUsd !== null) attributes['vector.cost_usd'] = step.costUsd;
    if (telemetry.recordPrompts && input.prompt !== null) attributes['gen_ai.input.messages'] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: input.prompt }] }]);
  } else {
    name = `vector.tool ${step.name}`;
    attributes['vector.tool.name'] = step.name;
  }
  const durationMs = Math.max(0, step.durationMs);
  const span = telemetry.tracer.startSpan(name, { kind: step.kind === 'model' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes, startTime: input.endTime - durationMs }, input.parent);
  if (step.status === 'failed') {
    // The step's error text may quote the model or the tool: only that it failed is recorded.
    span.setAttribute('error.type', 'STEP_FAILED');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'STEP_FAILED' });
  }
  span.end(input.endTime);
}
