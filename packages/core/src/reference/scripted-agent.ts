import { z } from 'zod';
import { CancelledError } from '../errors/cancelled-error.js';
import { parseInput } from '../errors/from-zod.js';
import { untilAborted } from '../helpers/until-aborted.js';
import { defineAgent } from '../plugins/define-plugins.js';
import type { Agent, AgentCapabilities, AgentRunContext } from '../plugins/agent.js';
import type { AgentEvent } from '../schemas/agent-event.js';
import { defaultAgentScript } from './default-agent-script.js';

/** What a script returns: a fixed list, or a (possibly async) stream of events. */
export type AgentScriptOutput = ReadonlyArray<AgentEvent> | Iterable<AgentEvent> | AsyncIterable<AgentEvent>;

/** Produces the events of one run. May be an `async function*`. */
export type AgentScript = (context: AgentRunContext) => AgentScriptOutput | Promise<ReadonlyArray<AgentEvent>>;

/** Options of {@link createScriptedAgent}. */
export interface ScriptedAgentOptions {
  /** Registry name. Default `scripted`. */
  type?: string;
  /** The events to emit. Default: {@link defaultAgentScript}, which writes `notes/<n>.md`. */
  script?: AgentScript;
  /** Pause before each event after the first, in milliseconds. Default 0. */
  delayMs?: number;
  /** Declared capabilities. Default `{ streaming: false, editsCode: true }`. */
  capabilities?: Partial<AgentCapabilities>;
}

const optionsSchema = z.object({
  type: z.string().default('scripted'),
  script: z.custom<AgentScript>((value) => typeof value === 'function', 'script must be a function').optional(),
  delayMs: z.number().int().nonnegative().max(3_600_000).default(0),
  capabilities: z.object({ streaming: z.boolean().optional(), editsCode: z.boolean().optional() }).default({}),
});

/**
 * An {@link Agent} that plays back a script: for tests, demos and the reference server.
 *
 * It stops promptly when `context.signal` aborts, even when the script itself is stuck
 * waiting: the pending step is abandoned and the run throws `CancelledError`.
 */
export function createScriptedAgent(options: ScriptedAgentOptions = {}): Agent {
  const settings = parseInput(optionsSchema, options, 'scripted agent options');
  const script = settings.script ?? defaultAgentScript;
  return defineAgent({
    specificationVersion: 'v1',
    type: settings.type,
    capabilities: { streaming: settings.capabilities.streaming ?? false, editsCode: settings.capabilities.editsCode ?? true },
    run: (context) => play({ context, script, delayMs: settings.delayMs }),
  });
}

async function* play(input: { context: AgentRunContext; script: AgentScript; delayMs: number }): AsyncGenerator<AgentEvent> {
  const { signal } = input.context;
  const cancelled = () => new CancelledError({ message: 'The agent run was cancelled', cause: signal.reason });
  if (signal.aborted) throw cancelled();
  const output = await untilAborted(Promise.resolve(input.script(input.context)), signal, 'The agent run was cancelled');
  const iterator = toAsyncIterator(output);
  let first = true;
  try {
    while (true) {
      const step = await untilAborted(Promise.resolve(iterator.next()), signal, 'The agent run was cancelled');
      if (step.done) return;
      if (!first && input.delayMs > 0) await sleep(input.delayMs, signal);
      if (signal.aborted) throw cancelled();
      first = false;
      yield step.value;
    }
  } finally {
    // Let the script run its own `finally` blocks; never wait on a script that ignores the signal.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

function toAsyncIterator(output: AgentScriptOutput): AsyncIterator<AgentEvent> | Iterator<AgentEvent> {
  if (Symbol.asyncIterator in output) return output[Symbol.asyncIterator]();
  return output[Symbol.iterator]();
}

/** Waits `ms`, or rejects with `CancelledError` (clearing the timer) once `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new CancelledError({ message: 'The agent run was cancelled', cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError({ message: 'The agent run was cancelled', cause: signal.reason }));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
