import { type AgentEvent, type AgentToolbox, CancelledError, digestStepInput, errorMessage, type StepReplay } from '@vector/core';
import { z } from 'zod';
import { summariseToolArguments, truncate } from './codegen-tools.js';
import type { ToolCallRequest } from './stream-chat-turn.js';

// What a connector tool step records as its output, and what a replay reads back (checked: it is stored JSON).
const connectorToolOutputSchema = z.object({
  ok: z.boolean(),
  content: z.string(),
  truncated: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
type ConnectorToolOutput = z.infer<typeof connectorToolOutputSchema>;

const previewChars = 300;

/** The call's arguments as a JSON object, or why they are not one. */
function parseArguments(raw: string): { ok: true; arguments: Record<string, unknown> } | { ok: false; message: string } {
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch (error) {
    return { ok: false, message: `The arguments are not valid JSON (${errorMessage(error)}). Send a single JSON object.` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, message: 'The arguments must be a JSON object.' };
  return { ok: true, arguments: parsed as Record<string, unknown> };
}

/** The tool message the model gets: the content (never empty), marked as an error when the call failed. */
function messageFor(output: ConnectorToolOutput): string {
  const content = output.content === '' ? '(the tool returned no content)' : output.content;
  return output.ok ? content : `Error${output.error ? ` (${output.error.code})` : ''}: ${content}`;
}

/**
 * Runs one call of a connector tool (`<connector>__<tool>`) the model asked for, and returns
 * the text of its tool message (not yet cut to the per-result share). Arguments that are not
 * a JSON object come back as an error message without calling the tool. The call is a `step`
 * of kind `tool` named `mcp:<name>` (its input digest covers the name and the arguments; its
 * output is `{ ok, content, truncated, error? }`), streamed with `tool_call` and `tool_result`
 * events. When an earlier attempt of the job recorded the same step, its output is taken back
 * and the tool is not called again, with no events. A failing tool is an error message for the
 * model, never an exception.
 *
 * @throws CancelledError when `signal` aborts during the call.
 */
export async function* runConnectorTool(input: { toolbox: AgentToolbox; toolCall: ToolCallRequest; replay: StepReplay; signal: AbortSignal }): AsyncGenerator<AgentEvent, string> {
  const { toolbox, toolCall, replay, signal } = input;
  const { name } = toolCall;
  const stepName = `mcp:${name}`;
  const parsed = parseArguments(toolCall.arguments);
  const inputDigest = digestStepInput({ name, arguments: parsed.ok ? parsed.arguments : toolCall.arguments });
  const recorded = replay.take('tool', stepName, inputDigest);
  if (recorded) {
    const output = connectorToolOutputSchema.safeParse(recorded.output);
    if (output.success) return messageFor(output.data);
  }

  yield { type: 'tool_call', callId: toolCall.id, name, arguments: summariseToolArguments(name, toolCall.arguments) };
  const started = Date.now();
  let output: ConnectorToolOutput;
  let durationMs: number;
  if (!parsed.ok) {
    output = { ok: false, content: parsed.message, truncated: false, error: { code: 'INVALID_ARGUMENTS', message: parsed.message } };
    durationMs = Date.now() - started;
  } else {
    try {
      const result = await toolbox.call({ name, arguments: parsed.arguments, signal });
      output = { ok: result.ok, content: result.content, truncated: result.truncated, ...(result.error ? { error: result.error } : {}) };
      durationMs = result.durationMs;
    } catch (error) {
      if (signal.aborted) throw new CancelledError({ message: `The call of ${name} was cancelled`, cause: error });
      // The toolbox contract has a failing tool resolve with ok: false; one that throws anyway fails the call, not the job.
      const message = `The tool call failed: ${errorMessage(error).slice(0, 1_000)}`;
      output = { ok: false, content: message, truncated: false, error: { code: 'CALL_FAILED', message } };
      durationMs = Date.now() - started;
    }
  }
  const preview = output.ok ? truncate(output.content, previewChars, 'the whole result went to the model') : (output.error?.message ?? output.content).slice(0, previewChars);
  yield { type: 'tool_result', callId: toolCall.id, ok: output.ok, output: preview };
  yield {
    type: 'step',
    kind: 'tool',
    name: stepName,
    inputDigest,
    output,
    durationMs,
    status: output.ok ? 'succeeded' : 'failed',
    ...(output.error ? { error: `${output.error.code}: ${output.error.message}`.slice(0, 10_000) } : {}),
  };
  return messageFor(output);
}
