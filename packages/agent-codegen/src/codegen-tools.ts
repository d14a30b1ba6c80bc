import { isValidFilePath, normalizeFilePath } from '@vector/core';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { applyEditBlocks } from './apply-edit-blocks.js';
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
      query: z.string().min(1),
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
}

/**
 * Runs one tool call against the working copy. Malformed calls (bad JSON, unknown tool,
 * wrong arguments, an edit block that does not match) come back as `ok: false` with a
 * message the model can act on; they never throw.
 */
export async function runCodegenTool(input: { name: string; arguments: string; copy: WorkingCopy; mode: 'answer' | 'change'; limits: ToolLimits }): Promise<ToolOutcome> {
  const fail = (message: string): ToolOutcome => ({ ok: false, output: `Error: ${message}`, eventOutput: message });
  const allowed = input.mode === 'answer' ? readOnly : (Object.keys(toolSchemas) as CodegenToolName[]);
  if (!allowed.includes(input.name as CodegenToolName)) return fail(`Unknown tool "${input.name}". Available tools: ${allowed.join(', ')}.`);
  let raw: unknown;
  try {
    raw = input.arguments.trim() === '' ? {} : JSON.parse(input.arguments);
  } catch (error) {
    return fail(`The arguments of ${input.name} are not valid JSON (${error instanceof Error ? error.message : String(error)}). Send a single JSON object.`);
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
      let selected = lines.slice(start - 1, start - 1 + count);
      let text = selected.join('\n');
      while (text.length > limits.maxOutputChars && selected.length > 1) {
        selected = selected.slice(0, Math.max(1, Math.floor(selected.length / 2)));
        text = selected.join('\n');
      }
      const end = start - 1 + selected.length;
      const partial = start > 1 || end < lines.length;
      const header = partial ? `[${path}: lines ${start}-${end} of ${lines.length}${end < lines.length ? `; read on with start_line ${end + 1}` : ''}]\n` : '';
      return ok(header + text, `read ${path} (${selected.length} of ${lines.length} lines)`);
    }
    case 'search_files': {
      let matcher: (line: string) => boolean;
      if (args.regex === true) {
        try {
          const pattern = new RegExp(args.query as string);
          matcher = (line) => pattern.test(line);
        } catch (error) {
          return fail(`Invalid regular expression: ${error instanceof Error ? error.message : String(error)}`);
        }
      } else {
        const needle = (args.query as string).toLowerCase();
        matcher = (line) => line.toLowerCase().includes(needle);
      }
      const prefix = typeof args.directory === 'string' ? args.directory.replace(/^\.?\//, '').replace(/\/?$/, '/') : '';
      const hits: string[] = [];
      for (const entry of await copy.list()) {
        if ((prefix !== '/' && !entry.path.startsWith(prefix)) || hits.length >= 200) continue;
        const content = await copy.read(entry.path);
        if (typeof content !== 'string') continue;
        content.split('\n').forEach((line, index) => {
          if (hits.length < 200 && matcher(line)) hits.push(`${entry.path}:${index + 1}: ${line.trim().slice(0, 200)}`);
        });
      }
      return ok(truncate(hits.join('\n') || 'No matches.', limits.maxOutputChars, 'refine the query'), `${hits.length} matches`);
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

function truncate(text: string, max: number, advice: string): string {
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
