import { DATA_SCHEMA_FILE, dataSchemaSchema, errorMessage } from '@vector/core';
import type { WorkingCopy } from './working-copy.js';

const maxReportedErrors = 20;
// Room for the section's heading, fences and truncation note within the limit.
const framing = 400;

/**
 * The base version's `vector.data.json` as the project context shows it to the model, so it
 * sees the current schema without a tool call; null when the project has none. The whole
 * section stays within `maxChars` (the per-tool-result limit): a longer file is cut, with a
 * note saying how to read the rest.
 */
export async function renderDataSchemaContext(copy: WorkingCopy, maxChars: number): Promise<string | null> {
  const content = await copy.read(DATA_SCHEMA_FILE);
  if (content === null) return null;
  const heading = `The app's data schema, ${DATA_SCHEMA_FILE} (the app's data lives in the tables declared here), as the project has it now:`;
  if (typeof content !== 'string') return `${heading}\n(${DATA_SCHEMA_FILE} is not a text file: ${content.byteLength} bytes of binary content; it must be JSON.)`;
  const room = Math.max(1, maxChars - framing);
  const text = content.trimEnd();
  if (text.length <= room) return `${heading}\n\`\`\`json\n${text}\n\`\`\``;
  const shown = text.slice(0, room);
  const lines = shown.split('\n').length;
  return `${heading}\n\`\`\`json\n${shown}\n\`\`\`\n(${DATA_SCHEMA_FILE} is cut here: shown are the first ${room} of its ${text.length} characters, ending in line ${lines}; read the rest with read_file and start_line ${lines}.)`;
}

/**
 * Checks the working copy's `vector.data.json` against core's `dataSchemaSchema` when the job
 * changed it (an unchanged or deleted schema is not checked). Returns the errors as the model
 * gets them, each located by the path inside the file, e.g.
 * `vector.data.json: tables.todos.columns.done.default: the default is not a valid boolean`;
 * at most 20. Empty when the schema is valid or was not changed.
 */
export async function checkDataSchema(copy: WorkingCopy): Promise<string[]> {
  const change = (await copy.changes()).find((candidate) => candidate.path === DATA_SCHEMA_FILE);
  if (!change || change.type !== 'write') return [];
  if (typeof change.content !== 'string') return [`${DATA_SCHEMA_FILE}: not a text file; write it as JSON`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(change.content);
  } catch (error) {
    return [`${DATA_SCHEMA_FILE}: invalid JSON (${errorMessage(error)})`];
  }
  const result = dataSchemaSchema.safeParse(parsed);
  if (result.success) return [];
  return result.error.issues.slice(0, maxReportedErrors).map((issue) => {
    const where = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
    // A bad table or column name: say what a name must be, not just that the key is invalid.
    const detail = issue.code === 'invalid_key' ? `invalid name (${issue.issues.map((inner) => inner.message).join('; ')})` : issue.message;
    return `${DATA_SCHEMA_FILE}: ${where}${detail}`.slice(0, 800);
  });
}

/** `tables.todos.columns.done`, with keys that are not identifiers quoted: `tables["my table"]`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `${index === 0 ? '' : '.'}${segment}`;
      const key = String(segment);
      if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) return `${index === 0 ? '' : '.'}${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}
