/** A job event as the API streams it (`data` of each SSE frame, or an item of `GET /v1/jobs/:id/events`). */
export interface JobEvent {
  jobId: string;
  /** 1, 2, 3… per job, no gaps: the SSE frame's `id`. */
  sequence: number;
  attempt: number;
  createdAt?: string;
  data: { type: string; [field: string]: unknown };
}

/** One tool call as the page shows it. */
export interface ToolCallView {
  callId: string;
  name: string;
  arguments: unknown;
  /** Null until its `tool_result` arrives. */
  ok: boolean | null;
  output?: unknown;
}

/** What the page knows of a job, folded from its events in order. */
export interface JobStreamState {
  /** The last sequence folded in: the `Last-Event-ID` to resume from. */
  lastSequence: number;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  attempt: number;
  /**
   * The agent's streamed text, each delta once, joined by core's `joinJobText` rule: deltas
   * count once the model call they belong to succeeded (its `step` or `usage` event), are dropped
   * when it failed or when a new attempt began before it closed (the resumed attempt makes that
   * call again), and the open tail of the latest attempt shows while it streams.
   */
  text: string;
  /** The text of closed, successful model calls. */
  closedText: string;
  /** The text of the model call still open, and the attempt it belongs to. */
  openText: string;
  textAttempt: number;
  plan: string[];
  toolCalls: ToolCallView[];
  files: Array<{ path: string; change: string }>;
  validation: { status: string; round: number; errors: string[] } | null;
  steps: Array<{ index: number; kind: string; name: string; model: string | null; status: string; costUsd: number | null; durationMs: number }>;
  tokens: { prompt: number; completion: number; total: number };
  /** Summed from `step` events; null while no priced step arrived. */
  costUsd: number | null;
  logs: string[];
  summary: string | null;
  versionId: string | null;
  error: { code: string; message: string } | null;
  /** Events ignored because their sequence was already folded (a resumed stream's overlap). */
  duplicates: number;
}

/** The state of a job no event has reached yet. */
export function initialJobStreamState(): JobStreamState {
  return { lastSequence: 0, status: 'queued', attempt: 1, text: '', closedText: '', openText: '', textAttempt: 1, plan: [], toolCalls: [], files: [], validation: null, steps: [], tokens: { prompt: 0, completion: 0, total: 0 }, costUsd: null, logs: [], summary: null, versionId: null, error: null, duplicates: 0 };
}

/** True once the job can change no more. */
export function isTerminal(state: JobStreamState): boolean {
  return state.status === 'done' || state.status === 'failed' || state.status === 'cancelled';
}

const usageOf = (value: unknown) => {
  const usage = (value ?? {}) as { promptTokens?: number; completionTokens?: number; totalTokens?: number };
  return { prompt: usage.promptTokens ?? 0, completion: usage.completionTokens ?? 0, total: usage.totalTokens ?? (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0) };
};

/**
 * Folds one event into the state. Events at or below `lastSequence` are counted as duplicates
 * and change nothing, so replaying a stream's overlap after a reconnect never repeats text.
 * A gap (a sequence past `lastSequence + 1`) is folded all the same: the server sends events in
 * order without gaps, and the resumed stream fills what a client missed.
 */
export function applyJobEvent(state: JobStreamState, event: JobEvent): JobStreamState {
  if (event.sequence <= state.lastSequence) return { ...state, duplicates: state.duplicates + 1 };
  const next: JobStreamState = { ...state, lastSequence: event.sequence, attempt: Math.max(state.attempt, event.attempt) };
  const data = event.data;
  if (event.attempt !== state.textAttempt) {
    // A new attempt: the model call the previous one left open was cut off, and is made again.
    next.textAttempt = event.attempt;
    next.openText = '';
  }
  switch (data.type) {
    case 'status':
      next.status = data.status === 'running' ? 'running' : 'queued';
      break;
    case 'text_delta':
      next.openText = next.openText + String(data.text ?? '');
      break;
    case 'plan':
      next.plan = Array.isArray(data.steps) ? data.steps.map(String) : [];
      break;
    case 'tool_call':
      next.toolCalls = [...state.toolCalls, { callId: String(data.callId), name: String(data.name), arguments: data.arguments, ok: null }];
      break;
    case 'tool_result':
      next.toolCalls = state.toolCalls.map((call) => (call.callId === data.callId ? { ...call, ok: Boolean(data.ok), output: data.output } : call));
      break;
    case 'file_changed':
      next.files = [...state.files.filter((file) => file.path !== data.path), { path: String(data.path), change: String(data.change) }];
      break;
    case 'validation':
      next.validation = { status: String(data.status), round: Number(data.round ?? 0), errors: Array.isArray(data.errors) ? data.errors.map(String) : [] };
      break;
    case 'usage': {
      next.closedText = state.closedText + next.openText;
      next.openText = '';
      const usage = usageOf(data.usage);
      next.tokens = { prompt: state.tokens.prompt + usage.prompt, completion: state.tokens.completion + usage.completion, total: state.tokens.total + usage.total };
      break;
    }
    case 'step': {
      if (data.kind === 'model') {
        if (data.status === 'succeeded') next.closedText = state.closedText + next.openText;
        next.openText = '';
      }
      const costUsd = typeof data.costUsd === 'number' ? data.costUsd : null;
      next.steps = [...state.steps, { index: Number(data.index), kind: String(data.kind), name: String(data.name), model: (data.model as string | null) ?? null, status: String(data.status), costUsd, durationMs: Number(data.durationMs ?? 0) }];
      if (costUsd !== null) next.costUsd = (state.costUsd ?? 0) + costUsd;
      break;
    }
    case 'log':
      next.logs = [...state.logs, `${String(data.level)}: ${String(data.message)}`];
      break;
    case 'result':
      next.summary = String(data.summary ?? '');
      if (typeof data.validationStatus === 'string' && !state.validation) next.validation = { status: data.validationStatus, round: 0, errors: [] };
      break;
    case 'done':
      next.status = 'done';
      next.versionId = (data.versionId as string | null) ?? null;
      // The job's own total is authoritative (it also counts usage reported inside `step` events).
      next.tokens = usageOf(data.usage);
      break;
    case 'failed':
      next.status = 'failed';
      next.error = (data.error as { code: string; message: string }) ?? { code: 'UNKNOWN', message: 'The job failed' };
      break;
    case 'cancelled':
      next.status = 'cancelled';
      next.error = { code: 'CANCELLED', message: String(data.reason ?? 'cancelled') };
      break;
    default:
      break;
  }
  next.text = next.closedText + next.openText;
  return next;
}

/** The URL of a job's event stream for `EventSource`, resuming after `lastSequence` (0: from the start). */
export function jobEventsUrl(input: { baseUrl: string; jobId: string; token: string; lastSequence: number }): string {
  const query = new URLSearchParams({ access_token: input.token });
  if (input.lastSequence > 0) query.set('lastEventId', String(input.lastSequence));
  return `${input.baseUrl}/v1/jobs/${encodeURIComponent(input.jobId)}/events?${query.toString()}`;
}

/** The event types a job stream names (`EventSource` hands named events to their own listeners only). */
export const jobEventTypes = ['status', 'intent', 'plan', 'text_delta', 'tool_call', 'tool_result', 'file_changed', 'validation', 'usage', 'log', 'step', 'result', 'done', 'failed', 'cancelled'] as const;
