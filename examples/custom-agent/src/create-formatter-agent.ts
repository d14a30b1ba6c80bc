import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { CancelledError, defineAgent, parseInput, type Agent, type AgentEvent, type AgentFileChange, type AgentRunContext } from '@vector/core';
import { formatFile } from './format-file.js';

/** Options of {@link createFormatterAgent}. */
export interface FormatterAgentOptions {
  /** Registry name (the session's `agentType`). Default `formatter`. */
  type?: string;
  /** Files larger than this are left alone, in bytes. Default 1 MiB. */
  maxFileBytes?: number;
  /**
   * Pause before each file, in milliseconds. Default 0. Only useful to make a run long
   * enough to watch or cancel (the conformance kit's `long-running` scenario uses it).
   */
  delayPerFileMs?: number;
}

const optionsSchema = z.object({
  type: z.string().default('formatter'),
  maxFileBytes: z.number().int().positive().default(1024 * 1024),
  delayPerFileMs: z.number().int().nonnegative().max(60_000).default(0),
});

const cancelled = (context: AgentRunContext) => new CancelledError({ message: 'The formatter was cancelled', cause: context.signal.reason });

/**
 * An {@link Agent} that needs no model: it formats every text file of the job's base version
 * (see `formatFile`: line endings, trailing whitespace, final newline, `package.json`
 * dependency order) and returns the files it changed, with a summary of each fix.
 *
 * The user's message is not interpreted; any message asks for a format pass. Binary files
 * and files over `maxFileBytes` are skipped (and said so in a `log` event).
 */
export function createFormatterAgent(options: FormatterAgentOptions = {}): Agent {
  const settings = parseInput(optionsSchema, options, 'formatter agent options');

  async function* run(context: AgentRunContext): AsyncGenerator<AgentEvent> {
    if (context.signal.aborted) throw cancelled(context);
    yield { type: 'intent', intent: 'Format the project files', detail: 'line endings, trailing whitespace, final newlines, package.json' };
    const entries = await context.files.list();
    yield { type: 'plan', steps: entries.map((entry) => `format ${entry.path}`), summary: `${entries.length} files to check` };

    const changes: AgentFileChange[] = [];
    const report: string[] = [];
    for (const entry of entries) {
      if (settings.delayPerFileMs > 0) await sleep(settings.delayPerFileMs, undefined, { signal: context.signal }).catch(() => undefined);
      if (context.signal.aborted) throw cancelled(context);
      if (entry.size > settings.maxFileBytes) {
        yield { type: 'log', level: 'info', message: `skipped ${entry.path}: ${entry.size} bytes is over ${settings.maxFileBytes}` };
        continue;
      }
      const text = await context.files.readText(entry.path);
      if (text === null) {
        yield { type: 'log', level: 'debug', message: `skipped ${entry.path}: binary` };
        continue;
      }
      const { text: formatted, fixes } = formatFile(entry.path, text);
      if (fixes.length === 0) continue;
      changes.push({ type: 'write', path: entry.path, content: formatted });
      report.push(`- ${entry.path}: ${fixes.join('; ')}`);
      yield { type: 'file_changed', path: entry.path, change: 'modified' };
    }

    if (context.signal.aborted) throw cancelled(context);
    yield {
      type: 'result',
      changes,
      commitMessage: changes.length === 0 ? 'Format: nothing to change' : `Format ${changes.length} file${changes.length === 1 ? '' : 's'}`,
      summary: changes.length === 0 ? `All ${entries.length} files were already formatted.` : `Formatted ${changes.length} of ${entries.length} files:\n${report.join('\n')}`,
      validationStatus: 'not_run',
    };
  }

  return defineAgent({
    specificationVersion: 'v1',
    type: settings.type,
    capabilities: { streaming: false, editsCode: true },
    run,
  });
}
