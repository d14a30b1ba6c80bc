/** Where an input holds something no store can take, and why. */
export interface UnsafeInput {
  path: Array<string | number>;
  message: string;
}

/** Options of {@link findUnsafeInput}. */
export interface FindUnsafeInputOptions {
  /** Deepest nesting of arrays and objects accepted. Default 64. */
  maxDepth?: number;
  /** Paths whose strings are file content (turned into bytes, never stored as text): NUL bytes and lone surrogates are allowed there. */
  isBinaryText?: (path: ReadonlyArray<string | number>) => boolean;
}

/** File content in version inputs: `files[i].content` and `changes[i].content`. */
export function isFileContentPath(path: ReadonlyArray<string | number>): boolean {
  const length = path.length;
  return length >= 3 && path[length - 1] === 'content' && typeof path[length - 2] === 'number' && (path[length - 3] === 'files' || path[length - 3] === 'changes');
}

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL byte (\\u0000), which text cannot hold';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

/**
 * Finds the first string (value or key) that PostgreSQL's text cannot store, a NUL byte or a
 * lone surrogate, or the first value nested deeper than `maxDepth`, so both databases refuse the
 * same inputs with a 400 naming the field, instead of PostgreSQL answering 500 and SQLite
 * accepting. Walks arrays and plain objects iteratively (a hostile input cannot exhaust the
 * stack; a cycle ends at `maxDepth`). Null when all is well.
 */
export function findUnsafeInput(value: unknown, options: FindUnsafeInputOptions = {}): UnsafeInput | null {
  const maxDepth = options.maxDepth ?? 64;
  const stack: Array<{ value: unknown; path: Array<string | number>; depth: number }> = [{ value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; path: Array<string | number>; depth: number };
    if (typeof item.value === 'string') {
      const problem = options.isBinaryText?.(item.path) ? null : textProblem(item.value);
      if (problem) return { path: item.path, message: problem };
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    // Only data is walked (arrays and plain objects): class instances (a database client in
    // options, bytes) are not input text.
    const prototype = Object.getPrototypeOf(item.value) as unknown;
    if (!Array.isArray(item.value) && prototype !== Object.prototype && prototype !== null) continue;
    if (item.depth >= maxDepth) return { path: item.path, message: `is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(item.value)) {
      for (let index = item.value.length - 1; index >= 0; index -= 1) stack.push({ value: item.value[index], path: [...item.path, index], depth: item.depth + 1 });
      continue;
    }
    const entries = Object.entries(item.value as Record<string, unknown>);
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, child] = entries[index] as [string, unknown];
      const problem = textProblem(key);
      if (problem) return { path: [...item.path, key], message: `has a key that ${problem}` };
      stack.push({ value: child, path: [...item.path, key], depth: item.depth + 1 });
    }
  }
  return null;
}
