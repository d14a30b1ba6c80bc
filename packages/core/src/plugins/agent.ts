import type { AgentEvent } from '../schemas/agent-event.js';
import type { AgentJob, JobBudgetInput } from '../schemas/agent-job.js';
import type { ModelPrice, RecordedStep } from '../schemas/agent-step.js';
import type { AgentSession, ChatMessage } from '../schemas/agent-session.js';
import type { FileEntry } from '../schemas/source-file.js';

/** Read-only access to the files of the job's base version. */
export interface AgentProjectFiles {
  /** Every path with size and hash, sorted. Cheap: no content is read. */
  list(): Promise<FileEntry[]>;
  /** One file's bytes, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** One text file, or null when it does not exist or is binary. */
  readText(path: string): Promise<string | null>;
}

/** A tool from one of the job's MCP connectors. */
export interface AgentTool {
  /** `<connector>__<tool>`, made of letters, digits, `_` and `-`, at most 64 characters: the name to call it by and to show a model. */
  name: string;
  /** The connector's name. */
  connector: string;
  /** The tool's own name at its server. */
  tool: string;
  description: string;
  /** JSON Schema of the arguments. */
  inputSchema: Record<string, unknown>;
}

/** What a tool call gave back. A tool that fails is a result with `ok: false`, never an exception. */
export interface AgentToolResult {
  ok: boolean;
  /** The tool's output as text, or why it failed; cut at the engine's size cap. */
  content: string;
  /** True when `content` was cut. */
  truncated: boolean;
  durationMs: number;
  /** Why the call failed: the server's error result (`TOOL_ERROR`), `TIMEOUT`, `UNREACHABLE`, `AUTH_FAILED`, `PROTOCOL_ERROR`, `NOT_ALLOWED` or `UNKNOWN_TOOL`. */
  error?: { code: string; message: string };
}

/**
 * The tools of the job's MCP connectors (the organization's, the project's and the server's
 * own), within each connector's allow-list. Every call is audited (`connector.call`: connector,
 * tool, job, duration, outcome and a digest of the arguments, never their values) and bounded
 * by the engine's timeout, size cap and the job's signal: a cancelled job aborts its calls.
 */
export interface AgentToolbox {
  /** The tools agents may call; a connector that cannot be reached is left out (and a `warning` event says why). */
  list(): Promise<AgentTool[]>;
  /** Calls a tool by its `name` from `list()`. Rejects only when the job's signal (or `signal`) aborts. */
  call(input: { name: string; arguments: Record<string, unknown>; signal?: AbortSignal }): Promise<AgentToolResult>;
}

/** Everything an agent gets for one job. */
export interface AgentRunContext {
  /**
   * The job. `steps` and `usage` are what earlier attempts of this job already spent (a job
   * handed back to the queue keeps its spending); the budget applies to the total.
   */
  job: Pick<AgentJob, 'id' | 'baseVersionId' | 'attempts'> & { budget: JobBudgetInput } & Partial<Pick<AgentJob, 'steps' | 'usage' | 'costUsd'>>;
  project: { id: string; organizationId: string; name: string };
  session: Pick<AgentSession, 'id' | 'settings'>;
  /** The user message to answer. */
  message: Pick<ChatMessage, 'id' | 'content'>;
  /** Earlier messages of the session, oldest first, excluding `message`. */
  history: ReadonlyArray<Pick<ChatMessage, 'role' | 'content'>>;
  files: AgentProjectFiles;
  /**
   * Steps earlier attempts of this job finished (succeeded, with an input digest), in order;
   * empty on a first attempt. An agent that records its steps replays them: when its next step
   * has the same kind, name and input digest as the next recorded one, it takes the recorded
   * output instead of calling the model or the tool again, and reports no event for it (the log
   * has them from the earlier attempt). `createStepReplay` does the matching.
   */
  replay?: ReadonlyArray<RecordedStep>;
  /** The engine's price for a model (US dollars per million tokens), or null when unknown: lets an agent stop before a call its money budget cannot pay for. */
  priceOf?(model: string): ModelPrice | null;
  /** The tools of the job's MCP connectors; absent when the engine offers none. */
  tools?: AgentToolbox;
  /** Fires on cancel, on budget exhaustion and on shutdown; stop promptly. */
  signal: AbortSignal;
}

/** Optional features an agent declares. */
export interface AgentCapabilities {
  /** Emits `text_delta` events while the model streams. */
  streaming: boolean;
  /** Produces code changes (false for answer-only agents). */
  editsCode: boolean;
}

/**
 * Version 1 of the agent contract: turns a chat message into events and, at the end, one
 * `result` with the file changes to save.
 *
 * Guarantees (the conformance kit checks them):
 * - yields events valid against `agentEventSchema`, ending with exactly one `result`,
 *   or throws (the job fails with the error's code);
 * - stops promptly (throws or returns) once `context.signal` aborts;
 * - reports each model call once, with a `step` event of kind `model` carrying its usage (or,
 *   simpler, a `usage` event), which core records, prices and sums against the job's budgets;
 * - may report tool calls as `step` events of kind `tool`, and replay recorded steps
 *   (`context.replay`) so a resumed job does not pay for work already done;
 * - never writes to storage itself: changes reach storage only through `result`.
 */
export interface AgentV1 {
  readonly specificationVersion: 'v1';
  /** Registry name, e.g. `codegen`. */
  readonly type: string;
  readonly capabilities: AgentCapabilities;
  init?(): Promise<void>;
  dispose?(): Promise<void>;
  run(context: AgentRunContext): AsyncIterable<AgentEvent>;
}

/** The agent contract. */
export type Agent = AgentV1;
