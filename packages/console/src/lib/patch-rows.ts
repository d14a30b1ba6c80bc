import { parsePatch } from 'diff';

/** One line of a unified diff view. */
export interface UnifiedRow {
  kind: 'hunk' | 'context' | 'add' | 'delete';
  /** Line number on the old side (absent for added lines and hunk headers). */
  oldNumber?: number;
  /** Line number on the new side (absent for deleted lines and hunk headers). */
  newNumber?: number;
  text: string;
}

/** One row of a side-by-side view: the old line on the left, the new one on the right. */
export interface SideBySideRow {
  kind: 'hunk' | 'line';
  left: { number: number; text: string; kind: 'context' | 'delete' } | null;
  right: { number: number; text: string; kind: 'context' | 'add' } | null;
  /** The hunk header's text, for `kind: 'hunk'`. */
  text?: string;
}

/** The rows of a unified patch (the API's `patch` of one file), numbered on both sides. */
export function unifiedRows(patch: string): UnifiedRow[] {
  const rows: UnifiedRow[] = [];
  for (const file of parsePatch(patch)) {
    for (const hunk of file.hunks) {
      rows.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
      let oldNumber = hunk.oldStart;
      let newNumber = hunk.newStart;
      for (const line of hunk.lines) {
        const marker = line[0];
        const text = line.slice(1);
        if (marker === '+') rows.push({ kind: 'add', newNumber: newNumber++, text });
        else if (marker === '-') rows.push({ kind: 'delete', oldNumber: oldNumber++, text });
        else if (marker === ' ') rows.push({ kind: 'context', oldNumber: oldNumber++, newNumber: newNumber++, text });
        // '\ No newline at end of file' carries no line of its own.
      }
    }
  }
  return rows;
}

/**
 * The same patch side by side: context lines on both sides, and each run of deleted lines
 * paired with the run of added lines that follows it (the longer run leaves blanks opposite).
 */
export function sideBySideRows(patch: string): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let deleted: UnifiedRow[] = [];
  let added: UnifiedRow[] = [];
  const flush = () => {
    for (let index = 0; index < Math.max(deleted.length, added.length); index += 1) {
      const left = deleted[index];
      const right = added[index];
      rows.push({
        kind: 'line',
        left: left ? { number: left.oldNumber ?? 0, text: left.text, kind: 'delete' } : null,
        right: right ? { number: right.newNumber ?? 0, text: right.text, kind: 'add' } : null,
      });
    }
    deleted = [];
    added = [];
  };
  for (const row of unifiedRows(patch)) {
    if (row.kind === 'delete') {
      // A deletion after additions starts a new change run.
      if (added.length > 0) flush();
      deleted.push(row);
    } else if (row.kind === 'add') {
      added.push(row);
    } else {
      flush();
      if (row.kind === 'hunk') rows.push({ kind: 'hunk', left: null, right: null, text: row.text });
      else rows.push({ kind: 'line', left: { number: row.oldNumber ?? 0, text: row.text, kind: 'context' }, right: { number: row.newNumber ?? 0, text: row.text, kind: 'context' } });
    }
  }
  flush();
  return rows;
}
