import { estimateTokens } from './estimate-tokens.js';

/**
 * Renders the project's paths (with sizes) for the model within `tokenBudget`. When the
 * full listing is too long, deeper folders collapse into `dir/ (N files)` lines, from the
 * deepest level up, until it fits; the model can still list a folder with `list_files`.
 */
export function renderFileTree(entries: ReadonlyArray<{ path: string; size: number }>, tokenBudget: number): string {
  if (entries.length === 0) return '(no files yet)';
  const full = entries.map((entry) => `${entry.path} (${entry.size} B)`).join('\n');
  if (estimateTokens(full) <= tokenBudget) return full;
  const maxDepth = Math.max(...entries.map((entry) => entry.path.split('/').length));
  for (let depth = maxDepth - 1; depth >= 1; depth -= 1) {
    const rendered = collapse(entries, depth);
    if (estimateTokens(rendered) <= tokenBudget || depth === 1) {
      const text = `${rendered}\n(folders marked "…" are collapsed; call list_files with a directory to see them)`;
      return estimateTokens(text) <= tokenBudget ? text : `${text.slice(0, tokenBudget * 4)}\n… (tree truncated)`;
    }
  }
  return full.slice(0, tokenBudget * 4);
}

function collapse(entries: ReadonlyArray<{ path: string; size: number }>, depth: number): string {
  const lines: string[] = [];
  const folders = new Map<string, number>();
  for (const entry of entries) {
    const segments = entry.path.split('/');
    if (segments.length <= depth) {
      lines.push(`${entry.path} (${entry.size} B)`);
      continue;
    }
    const folder = `${segments.slice(0, depth).join('/')}/`;
    if (!folders.has(folder)) lines.push(folder);
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
  }
  return lines.map((line) => (folders.has(line) ? `${line} … (${folders.get(line)} files)` : line)).join('\n');
}
