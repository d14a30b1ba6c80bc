import type { BuildDiagnostic } from '@vector/core';

const tscLine = /^(?<file>[^\s(][^(]*?)\((?<line>\d+),(?<column>\d+)\):\s*(?<message>(error|warning)\b.*)$/;
const colonLine = /^(?:(?:error|ERROR|\[[^\]]+\])\s*:?\s*)?(?<file>[^\s:()]+\.[A-Za-z]{1,5}):(?<line>\d+):(?<column>\d+)(?::|\s+-)?\s*(?<message>.*)$/;
const spaceLine = /^(?<file>[^\s:()]+\.[A-Za-z]{1,5})\s+\((?<line>\d+):(?<column>\d+)\):?\s*(?<message>.*)$/;
const resolveLine = /failed to resolve import ["'](?<module>[^"']+)["'] from ["'](?<file>[^"']+)["']/i;

/**
 * Finds located problems (file, line, column, message) in a tool's output: tsc's
 * `file(line,col): error TS…`, the `file:line:col: message` form of esbuild, Vite, Rollup
 * and Node, Rollup's `file (line:col)`, and Vite's "failed to resolve import … from …".
 * Absolute paths under `root` become project-relative. At most `limit` are returned.
 */
export function parseDiagnostics(lines: ReadonlyArray<string>, root: string, limit = 20): BuildDiagnostic[] {
  const found: BuildDiagnostic[] = [];
  const seen = new Set<string>();
  const relative = (file: string) => {
    const trimmed = file.replace(/^file:\/\//, '');
    const prefix = root.endsWith('/') ? root : `${root}/`;
    return trimmed.startsWith(prefix) ? trimmed.slice(prefix.length) : trimmed.replace(/^\.\//, '');
  };
  const add = (diagnostic: BuildDiagnostic) => {
    if (diagnostic.file !== null && (diagnostic.file.includes('node_modules/') || diagnostic.file.startsWith('/'))) return;
    const key = `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}:${diagnostic.message}`;
    if (seen.has(key) || found.length >= limit) return;
    seen.add(key);
    found.push(diagnostic);
  };
  for (const line of lines) {
    const text = line.trim();
    const match = tscLine.exec(text) ?? colonLine.exec(text) ?? spaceLine.exec(text);
    if (match?.groups) {
      const { file = '', message = '' } = match.groups;
      add({ file: relative(file), line: Number(match.groups.line), column: Number(match.groups.column), message: message.trim() || text });
      continue;
    }
    const resolve = resolveLine.exec(text);
    if (resolve?.groups) add({ file: relative(resolve.groups.file ?? ''), line: null, column: null, message: `cannot resolve import "${resolve.groups.module}"` });
  }
  return found;
}

/** `file:line:column: message`, or the message alone when it has no location. */
export function formatDiagnostic(diagnostic: BuildDiagnostic): string {
  if (diagnostic.file === null) return diagnostic.message;
  const where = [diagnostic.file, diagnostic.line, diagnostic.column].filter((part) => part !== null).join(':');
  return `${where}: ${diagnostic.message}`;
}
