import type { AgentEvent, AgentRunContext, ValidationCheck, ValidationStatus } from '@vector/core';
import { CancelledError, createStepReplay, DATA_SCHEMA_FILE, digestStepInput, validationCheckSchema, validationStatusSchema } from '@vector/core';
import { z } from 'zod';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { checkProject, type ProjectCheck } from './check-project.js';
import { codegenToolDefinitions, runCodegenTool, summariseToolArguments, truncate } from './codegen-tools.js';
import { compactConversation, recentHistory } from './conversation.js';
import { renderDataSchemaContext } from './data-schema-file.js';
import type { ResolvedCodegenAgentOptions } from './codegen-agent-options.js';
import { estimateTokens } from './estimate-tokens.js';
import { JobMeter } from './job-meter.js';
import { loadConnectorTools } from './load-connector-tools.js';
import { type CodegenIntent, parseIntent, parsePlan } from './parse-model-output.js';
import { type CodegenPrompts, fillPrompt } from './prompts.js';
import { renderFileTree } from './render-file-tree.js';
import { runConnectorTool } from './run-connector-tool.js';
import { type ChatTurn, streamChatTurn } from './stream-chat-turn.js';
import { WorkingCopy } from './working-copy.js';

/** What one run needs besides its context. */
export interface CodegenRun {
  options: ResolvedCodegenAgentOptions;
  prompts: CodegenPrompts;
  client: OpenAI;
  model: string;
  intentModel: string;
}

const noChanges = 'No code changes';

// What a model step records as its output, and what a replay reads back (checked: it is stored JSON).
const recordedTurnSchema = z.object({
  content: z.string(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
  finishReason: z.string(),
  usageEstimated: z.boolean(),
});
type RecordedTurn = z.infer<typeof recordedTurnSchema>;

const projectCheckSchema = z.object({
  status: validationStatusSchema,
  check: validationCheckSchema.nullable(),
  errors: z.array(z.string()),
  warning: z.string().optional(),
});

const contentText = (content: string | Uint8Array): string => (typeof content === 'string' ? content : Buffer.from(content).toString('base64'));

/**
 * One job: classify the message, plan, run the tool loop on a working copy, check it (the
 * build checker when configured, else the esbuild bundle) and feed errors back for at most
 * `maxFixRounds` rounds, then yield the `result`.
 */
export async function* runCodegen(run: CodegenRun, context: AgentRunContext): AsyncGenerator<AgentEvent> {
  const { options, prompts, client } = run;
  const { signal } = context;
  const meter = new JobMeter(context.job.budget, { steps: context.job.steps, usage: context.job.usage, costUsd: context.job.costUsd ?? 0 }, context.priceOf);
  const copy = new WorkingCopy(context.files);
  const budget = options.contextTokenBudget;
  // Half the context budget (in tokens, 4 characters each) per tool result.
  const toolLimits = { maxOutputChars: budget * 2 };

  // Steps an earlier attempt of this job finished: taken back in order instead of paying again.
  const replay = createStepReplay(context.replay);

  /**
   * One model call, recorded as a `step` (kind `model`, named for what it is for): replayed
   * from the job's recorded steps when an earlier attempt made the same call (no events, no
   * cost), else streamed from the model.
   */
  async function* call(request: { purpose: string; model: string; messages: ChatCompletionMessageParam[]; tools?: ChatCompletionTool[]; streamText: boolean }): AsyncGenerator<AgentEvent, { turn: ChatTurn; replayed: boolean }> {
    if (signal.aborted) throw new CancelledError({ cause: signal.reason });
    const messages = compactConversation(request.messages, budget * 2);
    const inputDigest = digestStepInput({ model: request.model, messages, tools: request.tools ?? null });
    const recorded = replay.take('model', request.purpose, inputDigest);
    if (recorded) {
      const output = recordedTurnSchema.safeParse(recorded.output);
      if (output.success) return { turn: { ...output.data, usage: recorded.usage }, replayed: true };
    }
    meter.beforeCall(estimateTokens(JSON.stringify(messages)), request.model);
    const started = Date.now();
    const turn = yield* streamChatTurn({ client, model: request.model, messages, signal, retry: options.retry, streamText: request.streamText, stepName: request.purpose, ...(request.tools ? { tools: request.tools } : {}) });
    meter.record(request.model, turn.usage);
    const output: RecordedTurn = { content: turn.content, toolCalls: turn.toolCalls, finishReason: turn.finishReason, usageEstimated: turn.usageEstimated };
    yield { type: 'step', kind: 'model', name: request.purpose, model: request.model, inputDigest, output, usage: turn.usage, durationMs: Date.now() - started, status: 'succeeded' };
    if (turn.usageEstimated) yield { type: 'log', level: 'info', message: 'The endpoint reported no token usage; the usage above is estimated at 4 characters a token.' };
    meter.checkAfterCall();
    return { turn, replayed: false };
  }

  /** Checks the working copy, recorded as a `check_project` tool step (a build takes seconds; a resumed job replays it). */
  async function* check(round: number): AsyncGenerator<AgentEvent, { validation: ProjectCheck; replayed: boolean }> {
    const changes = await copy.changes();
    const inputDigest = digestStepInput({ round, changes: changes.map((change) => (change.type === 'delete' ? change : { ...change, content: digestStepInput(contentText(change.content)) })) });
    const recorded = replay.take('tool', 'check_project', inputDigest);
    if (recorded) {
      const output = projectCheckSchema.safeParse(recorded.output);
      if (output.success) return { validation: output.data, replayed: true };
    }
    const started = Date.now();
    const validation = await checkProject({ copy, signal, ...(options.buildChecker ? { buildChecker: options.buildChecker } : {}) });
    yield { type: 'step', kind: 'tool', name: 'check_project', inputDigest, output: validation, durationMs: Date.now() - started, status: 'succeeded' };
    return { validation, replayed: false };
  }

  const entries = await copy.list();
  const tree = renderFileTree(entries, Math.floor(budget / 4));
  const history = recentHistory(context.history, Math.floor(budget / 4));
  const request = context.message.content;

  const { turn: intentTurn, replayed: intentReplayed } = yield* call({
    purpose: 'intent',
    model: run.intentModel,
    messages: [{ role: 'system', content: fillPrompt(prompts.intent, { fileCount: entries.length }) }, ...history.slice(-4), { role: 'user', content: request }],
    streamText: false,
  });
  const intent = parseIntent(intentTurn.content, entries.length);
  // A replayed step's events are in the log already (from the attempt that ran it).
  if (!intentReplayed) yield { type: 'intent', intent, detail: intentTurn.content.trim().slice(0, 200) };

  // The job's connector tools, listed once and offered next to the agent's own in every tool loop.
  const connectorTools = await loadConnectorTools({ toolbox: context.tools, signal });
  if (connectorTools.warning) yield { type: 'log', level: 'warn', message: connectorTools.warning };
  const offerTools = (mode: 'answer' | 'change'): ChatCompletionTool[] => [...codegenToolDefinitions(mode), ...connectorTools.definitions];
  // The system prompt says what connector tools are, and how far to trust them, only when there are some.
  const systemPrompt = (text: string): string => (connectorTools.definitions.length > 0 ? `${text}\n\n${prompts['connector-tools']}` : text);

  // The base version's data schema, when it has one, so the model sees it without a tool call
  // (bounded like one tool result).
  const dataSchema = entries.some((entry) => entry.path === DATA_SCHEMA_FILE) ? await renderDataSchemaContext(copy, toolLimits.maxOutputChars) : null;
  const projectContext = `Project "${context.project.name}", ${entries.length} files:\n${tree}${dataSchema ? `\n\n${dataSchema}` : ''}`;
  if (intent === 'question') {
    yield* answer();
    return;
  }

  const { turn: planTurn, replayed: planReplayed } = yield* call({
    purpose: 'plan',
    model: run.model,
    messages: [{ role: 'system', content: prompts.plan }, ...history, { role: 'user', content: `${projectContext}\n\nRequest (${intent}):\n${request}` }],
    streamText: false,
  });
  const plan = parsePlan(planTurn.content);
  if (!planReplayed) yield { type: 'plan', steps: plan.steps, ...(plan.summary ? { summary: plan.summary } : {}) };

  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: systemPrompt(fillPrompt(prompts[intent], { plan: plan.steps.map((step, index) => `${index + 1}. ${step}`).join('\n') })) },
    ...history,
    { role: 'user', content: `${projectContext}\n\nRequest:\n${request}` },
  ];
  const tools = offerTools('change');
  let round = 0;
  let validationStatus: ValidationStatus = 'not_run';
  let validationCheck: ValidationCheck | null = null;
  let lastErrors: string[] = [];
  for (;;) {
    const finish = yield* toolLoop(messages, tools, 'change');
    const changes = await copy.changes();
    if (changes.length === 0) {
      yield { type: 'result', changes, commitMessage: noChanges, summary: finish.summary || 'I made no changes.', validationStatus: 'not_run', validationCheck: null };
      return;
    }
    round += 1;
    const { validation, replayed } = yield* check(round);
    validationStatus = validation.status;
    validationCheck = validation.check;
    lastErrors = validation.errors;
    if (!replayed) {
      if (validation.warning) yield { type: 'log', level: 'warn', message: validation.warning };
      yield { type: 'validation', status: validation.status, round, errors: validation.errors, ...(validation.check ? { check: validation.check } : {}) };
    }
    if (validation.status !== 'failed' || round > options.maxFixRounds) {
      const note = validation.status === 'failed' ? `\n\nThe project still does not build after ${round} validation rounds:\n${lastErrors.slice(0, 5).join('\n')}` : '';
      yield {
        type: 'result',
        changes,
        commitMessage: (finish.commitMessage ?? plan.summary ?? `Update ${changes.length} file(s)`).slice(0, 10_000),
        summary: (finish.summary + note).slice(0, 200_000),
        validationStatus,
        validationCheck,
      };
      return;
    }
    messages.push({ role: 'user', content: fillPrompt(prompts['validation-fix'], { round, maxRounds: options.maxFixRounds + 1, errors: validation.errors.join('\n\n') }) });
  }

  async function* answer(): AsyncGenerator<AgentEvent> {
    const conversation: ChatCompletionMessageParam[] = [{ role: 'system', content: systemPrompt(prompts.answer) }, ...history, { role: 'user', content: `${projectContext}\n\nQuestion:\n${request}` }];
    const finish = yield* toolLoop(conversation, offerTools('answer'), 'answer');
    yield { type: 'result', changes: [], commitMessage: noChanges, summary: finish.summary || '(no answer)', validationStatus: 'not_run', validationCheck: null };
  }

  // Calls the model until it finishes (the finish tool, or a reply without tool calls).
  async function* toolLoop(conversation: ChatCompletionMessageParam[], toolDefinitions: ChatCompletionTool[], mode: 'answer' | 'change'): AsyncGenerator<AgentEvent, { commitMessage: string | null; summary: string }> {
    for (;;) {
      const { turn } = yield* call({ purpose: mode, model: run.model, messages: conversation, tools: toolDefinitions, streamText: true });
      conversation.push(
        turn.toolCalls.length === 0
          ? { role: 'assistant', content: turn.content }
          : { role: 'assistant', content: turn.content || null, tool_calls: turn.toolCalls.map((toolCall) => ({ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } })) },
      );
      if (turn.toolCalls.length === 0) return { commitMessage: null, summary: turn.content.trim() };
      let finish: { commitMessage: string; summary: string } | null = null;
      for (const toolCall of turn.toolCalls) {
        if (signal.aborted) throw new CancelledError({ cause: signal.reason });
        if (connectorTools.toolbox && connectorTools.has(toolCall.name)) {
          const text = yield* runConnectorTool({ toolbox: connectorTools.toolbox, toolCall, replay, signal });
          conversation.push({ role: 'tool', tool_call_id: toolCall.id, content: truncate(text, toolLimits.maxOutputChars, 'ask the tool for less') });
          continue;
        }
        // Tools work on the in-memory working copy, deterministically and for free: a replayed
        // one runs again silently (that rebuilds the copy); a new one is reported and recorded.
        const inputDigest = digestStepInput({ callId: toolCall.id, name: toolCall.name, arguments: toolCall.arguments });
        const replayed = replay.take('tool', toolCall.name || 'unknown', inputDigest) !== undefined;
        if (!replayed) yield { type: 'tool_call', callId: toolCall.id, name: toolCall.name, arguments: summariseToolArguments(toolCall.name, toolCall.arguments) };
        const started = Date.now();
        const outcome = await runCodegenTool({ name: toolCall.name, arguments: toolCall.arguments, copy, mode, limits: toolLimits, signal });
        if (!replayed) {
          yield { type: 'tool_result', callId: toolCall.id, ok: outcome.ok, output: outcome.eventOutput };
          if (outcome.fileChange) yield { type: 'file_changed', path: outcome.fileChange.path, change: outcome.fileChange.change };
          yield { type: 'step', kind: 'tool', name: toolCall.name || 'unknown', inputDigest, output: { ok: outcome.ok, output: outcome.eventOutput }, durationMs: Date.now() - started, status: outcome.ok ? 'succeeded' : 'failed' };
        }
        // Every tool message is resent on each later call, so none may exceed the per-result share.
        conversation.push({ role: 'tool', tool_call_id: toolCall.id, content: truncate(outcome.output, toolLimits.maxOutputChars, 'ask for less') });
        if (outcome.finish) finish = outcome.finish;
      }
      if (finish) return finish;
    }
  }
}
