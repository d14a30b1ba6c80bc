import { isValidFilePath, normalizeFilePath, errorMessage } from '@vector/core';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { applyEditBlocks } from './apply-edit-blocks.js';
import { defaultSearchLimits, type SearchLimits, searchProjectFiles } from './search-project-files.js';
import type { WorkingChangeKind, WorkingCopy } from './working-copy.js';

const pathField = z.string().min(1).describe('Path relative to the project root, e.g. src/App.tsx');

const toolSchemas = {
  list_files: z.object({ directory: z.string().optional().describe('Only list files under this folder') }).describe('List files with their sizes.'),
  read_file: z
    .object({
      path: pathField,
      start_line: z.number().int().min(1).optional().describe('First line to return (1-based); for long files'),
      line_count: z.number().int().min(1).optional(),
    })
    .describe('Read a text file. Long files are returned in parts; ask for the next lines with start_line.'),
  search_files: z
    .object({
      query: z.string().min(1).describe('At most 200 characters; lines are searched up to their first 2 000 characters'),
      regex: z.boolean().optional().describe('Treat query as a JavaScript regular expression'),
      directory: z.string().optional(),
    })
    .describe('Search text files for a string (case-insensitive) or a regular expression; returns path:line: text.'),
  write_file: z.object({ path: pathField, content: z.string() }).describe('Create a file or replace its whole content.'),
  edit_file: z
    .object({
      path: pathField,
      edits: z
        .array(z.object({ search: z.string().describe('Exact text to find; must occur exactly once'), replace: z.string() }))
        .min(1),
    })
    .describe('Change an existing file with exact search/replace blocks, applied in order, all or nothing.'),
  delete_file: z.object({ path: pathField }).describe('Delete a file.'),
  finish: z
    .object({
      commit_message: z.string().min(1).max(500).describe('One line, imperative mood, e.g. "Add a dark mode toggle"'),
      summary: z.string().min(1).describe('What you changed, for the user'),
    })
    .describe('Call once all changes are made.'),
} as const;

/** A tool the model may call. */
export type CodegenToolName = keyof typeof toolSchemas;

const readOnly: CodegenToolName[] = ['list_files', 'read_file', 'search_files'];

/** True when `name` is one of the agent's own tools (in any mode): a name no connector tool may take. */
export function isCodegenToolName(name: string): name is CodegenToolName {
  return Object.hasOwn(toolSchemas, name);
}

/** The tool definitions to send: read-only ones for questions, all for code changes. */
export function codegenToolDefinitions(mode: 'answer' | 'change'): ChatCompletionTool[] {
  const names = mode === 'answer' ? readOnly : (Object.keys(toolSchemas) as CodegenToolName[]);
  return names.map((name) => {
    const { $schema: _ignored, description, ...parameters } = z.toJSONSchema(toolSchemas[name]) as Record<string, unknown>;
    return { type: 'function', function: { name, description: String(description ?? ''), parameters } };
  });
}

/** What running one tool call produced. */
export interface ToolOutcome {
  ok: boolean;
  /** Sent back to the model as the tool message. */
  output: string;
  /** A short, persistable view for the `tool_result` event. */
  eventOutput: string;
  /** What the call did to a file, for `file_changed`. */
  fileChange?: { path: string; change: WorkingChangeKind };
  finish?: { commitMessage: string; summary: string };
}

/** Limits a tool run works within. */
export interface ToolLimits {
  /** Most characters one read or search returns. */
  maxOutputChars: number;
  /** Bounds of `search_files`; default {@link defaultSearchLimits}. */
  search?: Partial<SearchLimits>;
}

/**
 * Runs one tool call against the working copy. Malformed calls (bad JSON, unknown tool,
 * wrong arguments, an edit block that does not match) come back as `ok: false` with a
 * message the model can act on; they never throw. A search checks `signal` between files.
 *
 * @throws CancelledError when `signal` aborts during a search.
 */
export async function runCodegenTool(input: { name: string; arguments: string; copy: WorkingCopy; mode: 'answer' | 'change'; limits: ToolLimits; signal?: AbortSignal }): Promise<ToolOutcome> {
  const fail = (message: string): ToolOutcome => ({ ok: false, output: `Error: ${message}`, eventOutput: message });
  const allowed = input.mode === 'answer' ? readOnly : (Object.keys(toolSchemas) as CodegenToolName[]);
  if (!allowed.includes(input.name as CodegenToolName)) return fail(`Unknown tool "${input.name}". Available tools: ${allowed.join(', ')}.`);
  let raw: unknown;
  try {
    raw = input.arguments.trim() === '' ? {} : JSON.parse(input.arguments);
  } catch (error) {
    return fail(`The arguments of ${input.name} are not valid JSON (${errorMessage(error)}). Send a single JSON object.`);
  }
  const name = input.name as CodegenToolName;
  const parsed = toolSchemas[name].safeParse(raw);
  if (!parsed.success) {
    return fail(`Invalid arguments for ${name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  }
  const args = parsed.data as Record<string, unknown>;
  if (typeof args.path === 'string' && !isValidFilePath(args.path)) return fail(`Invalid path ${JSON.stringify(args.path)}: use a relative path inside the project, with / separators and no .. segments.`);
  const path = typeof args.path === 'string' ? normalizeFilePath(args.path) : '';
  const { copy, limits } = input;

  switch (name) {
    case 'list_files': {
      const prefix = typeof args.directory === 'string' && args.directory.replace(/^\.?\/?/, '') !== '' ? `${args.directory.replace(/^\.?\//, '').replace(/\/$/, '')}/` : '';
      const entries = (await copy.list()).filter((entry) => entry.path.startsWith(prefix));
      const text = entries.map((entry) => `${entry.path} (${entry.size} B)`).join('\n') || '(no files)';
      return ok(truncate(text, limits.maxOutputChars, 'use a narrower directory'), `${entries.length} files`);
    }
    case 'read_file': {
      const content = await copy.read(path);
      if (content === null) return fail(`${path} does not exist. Use list_files to see the files.`);
      if (typeof content !== 'string') return fail(`${path} is a binary file (${content.byteLength} bytes) and cannot be read as text.`);
      const lines = content.split('\n');
      const start = (args.start_line as number | undefined) ?? 1;
      const count = (args.line_count as number | undefined) ?? lines.length;
      // Room for the header line, so header and text together stay within the limit.
      const room = Math.max(1, limits.maxOutputChars - 400);
      let selected = lines.slice(start - 1, start - 1 + count);
      let text = selected.join('\n');
      while (text.length > room && selected.length > 1) {
        selected = selected.slice(0, Math.max(1, Math.floor(selected.length / 2)));
        text = selected.join('\n');
      }
      const end = start - 1 + selected.length;
      // One line can still be huge (minified bundles, data URLs): cut it by characters.
      const cut = text.length > room;
      if (cut) text = text.slice(0, room);
      const partial = start > 1 || end < lines.length || cut;
      const cutNote = cut ? `; cut after ${room} of ${selected.join('\n').length} characters (a very long line; use search_files to find what you need in it)` : '';
      const header = partial ? `[${path}: lines ${start}-${end} of ${lines.length}${cutNote}${end < lines.length ? `; read on with start_line ${end + 1}` : ''}]\n` : '';
      return ok(header + text, `read ${path} (${selected.length} of ${lines.length} lines${cut ? ', cut' : ''})`);
    }
    case 'search_files': {
      const found = await searchProjectFiles({ copy, query: args.query as string, regex: args.regex === true, limits: { ...defaultSearchLimits, ...limits.search }, ...(typeof args.directory === 'string' ? { directory: args.directory } : {}), ...(input.signal ? { signal: input.signal } : {}) });
      if (!found.ok) return fail(found.error);
      const note = found.stoppedEarly ? `\n… (search stopped ${found.stoppedEarly}; narrow the directory or the query)` : '';
      return ok(truncate((found.hits.join('\n') || 'No matches.') + note, limits.maxOutputChars, 'refine the query'), `${found.hits.length} matches${found.stoppedEarly ? ` (stopped ${found.stoppedEarly})` : ''}`);
    }
    case 'write_file': {
      const change = await copy.write(path, args.content as string);
      return { ...ok(`${change.change === 'created' ? 'Created' : 'Rewrote'} ${path}.`, `${change.change} ${path}`), fileChange: change };
    }
    case 'edit_file': {
      const content = await copy.read(path);
      if (content === null) return fail(`${path} does not exist; create it with write_file.`);
      if (typeof content !== 'string') return fail(`${path} is binary and cannot be edited.`);
      const result = applyEditBlocks(path, content, args.edits as Array<{ search: string; replace: string }>);
      if (!result.ok) return fail(result.error);
      const change = await copy.write(path, result.content);
      return { ...ok(`Applied ${(args.edits as unknown[]).length} edit(s) to ${path}.`, `edited ${path}`), fileChange: change };
    }
    case 'delete_file': {
      if (!(await copy.delete(path))) return fail(`${path} does not exist.`);
      return { ...ok(`Deleted ${path}.`, `deleted ${path}`), fileChange: { path, change: 'deleted' } };
    }
    case 'finish':
      return { ...ok('Finishing.', 'finish'), finish: { commitMessage: args.commit_message as string, summary: args.summary as string } };
  }
}

function ok(output: string, eventOutput: string): ToolOutcome {
  return { ok: true, output, eventOutput };
}

/** Cuts `text` to `max` characters with a note saying what to do instead. */
export function truncate(text: string, max: number, advice: string): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (output truncated; ${advice})`;
}

/** A persistable view of a call's arguments: file contents are reduced to their size. */
export function summariseToolArguments(name: string, rawArguments: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawArguments);
  } catch {
    return { invalidJson: rawArguments.slice(0, 500) };
  }
  if (!parsed || typeof parsed !== 'object') return parsed;
  const args = { ...(parsed as Record<string, unknown>) };
  if (name === 'write_file' && typeof args.content === 'string') args.content = `(${args.content.length} characters)`;
  if (name === 'edit_file' && Array.isArray(args.edits)) args.edits = `(${args.edits.length} block(s))`;
  return args;
}
