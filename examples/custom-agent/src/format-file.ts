/** What formatting one file did: the new text and a note per kind of fix. */
export interface FormatOutcome {
  text: string;
  /** Human-readable fixes, e.g. `trimmed trailing whitespace on 3 lines`; empty when unchanged. */
  fixes: string[];
}

const dependencyFields = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

const sortKeys = (record: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Formats one text file without understanding its language: CRLF → LF, no trailing
 * whitespace (except in Markdown, where two trailing spaces are a line break), exactly one
 * final newline. `package.json` is re-indented with two spaces and its dependency maps are
 * sorted, the way npm writes them; an unparsable one is left as it is.
 */
export function formatFile(path: string, original: string): FormatOutcome {
  const fixes: string[] = [];
  let text = original;
  if (text.includes('\r\n')) {
    text = text.replace(/\r\n/g, '\n');
    fixes.push('converted CRLF line endings to LF');
  }
  if (!/\.(md|markdown)$/i.test(path)) {
    let trimmed = 0;
    text = text
      .split('\n')
      .map((line) => {
        const stripped = line.replace(/[ \t]+$/, '');
        if (stripped !== line) trimmed += 1;
        return stripped;
      })
      .join('\n');
    if (trimmed > 0) fixes.push(`trimmed trailing whitespace on ${trimmed} line${trimmed === 1 ? '' : 's'}`);
  }
  if (path === 'package.json' || path.endsWith('/package.json')) {
    try {
      const manifest = JSON.parse(text) as Record<string, unknown>;
      const sorted = dependencyFields.filter((field) => {
        const value = manifest[field];
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        const keys = Object.keys(value);
        manifest[field] = sortKeys(value as Record<string, unknown>);
        return keys.join('\n') !== Object.keys(manifest[field] as object).join('\n');
      });
      if (sorted.length > 0) fixes.push(`sorted ${sorted.join(', ')}`);
      const reindented = `${JSON.stringify(manifest, null, 2)}\n`;
      if (sorted.length === 0 && reindented.trimEnd() !== text.trimEnd()) fixes.push('re-indented with two spaces');
      text = reindented;
    } catch {
      // Not JSON: a broken manifest is the user's to fix; the whitespace fixes still apply.
    }
  }
  if (text.length > 0 && !/[^\n]\n$/.test(text) && text.trim().length > 0) {
    text = `${text.replace(/\n+$/, '')}\n`;
    fixes.push('ended the file with exactly one newline');
  }
  return { text, fixes: text === original ? [] : fixes };
}
