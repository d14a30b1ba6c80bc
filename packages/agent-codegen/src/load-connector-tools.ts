import { type AgentTool, type AgentToolbox, CancelledError, errorMessage } from '@vector/core';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { isCodegenToolName } from './codegen-tools.js';

/** The connector tools one run offers the model, next to its own tools. */
export interface ConnectorTools {
  /** The job's toolbox; null when the engine offers none. */
  toolbox: AgentToolbox | null;
  /** OpenAI function definitions, one per offered tool, in the toolbox's order. */
  definitions: ChatCompletionTool[];
  /** True when `name` is an offered connector tool (never one of the agent's own tools). */
  has(name: string): boolean;
  /** Why the tools could not be listed, when they could not; the run goes on without them. */
  warning: string | null;
}

const maxDescriptionChars = 1_000;

/** JSON Schema of a tool without arguments: what a tool whose schema is not an object schema is offered with. */
const noArguments = (): Record<string, unknown> => ({ type: 'object', properties: {} });

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The parameters to offer for a tool's input schema: the schema without `$schema` (which
 * OpenAI refuses), as an object schema with `properties`. A schema that does not describe an
 * object is replaced by one without arguments (the tool's server still checks what it gets).
 */
export function connectorToolParameters(inputSchema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = inputSchema;
  if (schema.type !== 'object') return noArguments();
  if (schema.properties !== undefined && !isPlainObject(schema.properties)) return noArguments();
  return { ...schema, properties: schema.properties ?? {} };
}

/** The OpenAI function definition of a connector tool: its description starts with its connector, e.g. `[github] Search issues`. */
export function connectorToolDefinition(tool: AgentTool): ChatCompletionTool {
  const description = `[${tool.connector}] ${tool.description}`.trim();
  return {
    type: 'function',
    function: {
      name: tool.name,
      description: description.length <= maxDescriptionChars ? description : `${description.slice(0, maxDescriptionChars - 1)}…`,
      parameters: connectorToolParameters(tool.inputSchema),
    },
  };
}

/**
 * Lists the job's connector tools once, for the whole run. A tool named like one of the
 * agent's own tools, or like a tool listed before it, is left out, so a connector never
 * shadows a built-in tool. When listing fails for any reason but the job's cancellation, the
 * run goes on without connector tools and `warning` says why.
 *
 * @throws CancelledError when `signal` aborts.
 */
export async function loadConnectorTools(input: { toolbox: AgentToolbox | undefined; signal: AbortSignal }): Promise<ConnectorTools> {
  const { toolbox, signal } = input;
  const none = (warning: string | null): ConnectorTools => ({ toolbox: toolbox ?? null, definitions: [], has: () => false, warning });
  if (!toolbox) return none(null);
  let listed: AgentTool[];
  try {
    listed = await toolbox.list();
  } catch (error) {
    if (signal.aborted) throw new CancelledError({ message: 'Listing the connector tools was cancelled', cause: error });
    return none(`The connector tools could not be listed, so this job goes on without them: ${errorMessage(error).slice(0, 500)}`);
  }
  const offered = new Map<string, AgentTool>();
  for (const tool of listed) {
    if (isCodegenToolName(tool.name) || offered.has(tool.name)) continue;
    offered.set(tool.name, tool);
  }
  return {
    toolbox,
    definitions: [...offered.values()].map(connectorToolDefinition),
    has: (name) => offered.has(name),
    warning: null,
  };
}
