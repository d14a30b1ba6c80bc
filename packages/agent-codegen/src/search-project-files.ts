import { setImmediate as nextTurn } from 'node:timers/promises';
import { createContext, runInContext } from 'node:vm';
import { CancelledError, errorMessage } from '@vector/core';
import type { WorkingCopy } from './working-copy.js';

/** Bounds on one `search_files` call, so a model-written pattern cannot freeze the worker. */
export interface SearchLimits {
  /** Longest accepted pattern. Default 200 characters. */
  maxPatternChars: number;
  /** Lines are tested up to this many characters. Default 2 000. */
  maxLineChars: number;
  /** Most hits returned. Default 200. */
  maxHits: number;
  /** Most files read. Default 2 000. */
  maxFiles: number;
  /** Most lines tested over all files. Default 200 000. */
  maxLines: number;
  /** Wall-clock budget of the whole search, including regular-expression matching. Default 2 000 ms. */
  maxMillis: number;
}

/** The limits `search_files` runs with. */
export const defaultSearchLimits: SearchLimits = { maxPatternChars: 200, maxLineChars: 2_000, maxHits: 200, maxFiles: 2_000, maxLines: 200_000, maxMillis: 2_000 };

/** What a search found: `path:line: text` hits, and why it stopped early, if it did. */
export type SearchOutcome = { ok: true; hits: string[]; stoppedEarly: string | null } | { ok: false; error: string };

// Runs inside the sandbox context; `pattern` was compiled there, so the vm timeout can
// interrupt a catastrophically backtracking match (V8 checks for interrupts in regexp code).
const matchScript = '(() => { const found = []; for (let i = 0; i < lines.length && found.length < room; i += 1) if (pattern.test(lines[i])) found.push(i); return found; })()';

/**
 * Searches the working copy's text files for a case-insensitive string or a JavaScript
 * regular expression. Patterns longer than `maxPatternChars` are refused; each line is
 * tested up to `maxLineChars` characters; regular expressions run in a `node:vm` context
 * with a timeout, so a pattern like `(a+)+$` costs at most the time budget. The signal
 * is checked, and the event loop given a turn, between files.
 *
 * @throws CancelledError when `signal` aborts.
 */
export async function searchProjectFiles(input: { copy: WorkingCopy; query: string; regex: boolean; directory?: string; signal?: AbortSignal; limits?: SearchLimits }): Promise<SearchOutcome> {
  const limits = input.limits ?? defaultSearchLimits;
  if (input.query.length > limits.maxPatternChars) return { ok: false, error: `The query is ${input.query.length} characters long; the limit is ${limits.maxPatternChars}. Search for a shorter, distinctive part.` };
  let test: (lines: string[], room: number, timeoutMs: number) => number[];
  if (input.regex) {
    let context: object;
    try {
      context = createContext({ source: input.query, lines: [] as string[], room: 0 });
      runInContext('var pattern = new RegExp(source)', context, { timeout: 100 });
    } catch (error) {
      return { ok: false, error: `Invalid regular expression: ${errorMessage(error)}` };
    }
    test = (lines, room, timeoutMs) => {
      Object.assign(context, { lines, room });
      return [...(runInContext(matchScript, context, { timeout: Math.max(1, timeoutMs) }) as number[])];
    };
  } else {
    const needle = input.query.toLowerCase();
    test = (lines, room) => lines.flatMap((line, index) => (line.toLowerCase().includes(needle) ? [index] : [])).slice(0, room);
  }
  const folder = (input.directory ?? '').replace(/^(?:\.\/|\/)+/, '').replace(/^\.$/, '');
  const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
  const hits: string[] = [];
  const started = Date.now();
  let files = 0;
  let linesTested = 0;
  let stoppedEarly: string | null = null;
  for (const entry of await input.copy.list()) {
    if (!entry.path.startsWith(prefix)) continue;
    if (input.signal?.aborted) throw new CancelledError({ message: 'Cancelled during search_files', cause: input.signal.reason });
    if (files >= limits.maxFiles) stoppedEarly = `after ${limits.maxFiles} files`;
    else if (linesTested >= limits.maxLines) stoppedEarly = `after ${limits.maxLines} lines`;
    else if (Date.now() - started >= limits.maxMillis) stoppedEarly = `after ${limits.maxMillis} ms`;
    if (stoppedEarly) break;
    files += 1;
    if (files % 25 === 0) await nextTurn();
    const content = await input.copy.read(entry.path);
    if (typeof content !== 'string') continue;
    const lines = content.split('\n', limits.maxLines - linesTested).map((line) => (line.length > limits.maxLineChars ? line.slice(0, limits.maxLineChars) : line));
    linesTested += lines.length;
    let found: number[];
    try {
      found = test(lines, limits.maxHits - hits.length, limits.maxMillis - (Date.now() - started));
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      stoppedEarly = `after ${limits.maxMillis} ms (in ${entry.path}; simplify the regular expression)`;
      break;
    }
    for (const index of found) hits.push(`${entry.path}:${index + 1}: ${(lines[index] ?? '').trim().slice(0, 200)}`);
    if (hits.length >= limits.maxHits) {
      stoppedEarly = `at ${limits.maxHits} matches`;
      break;
    }
  }
  return { ok: true, hits, stoppedEarly };
}
